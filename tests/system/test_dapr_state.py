"""The common library's Dapr state calls (svc_dapr_state_*) against a real
sidecar and its state.redis store: missing keys, ETags (first-write-wins,
insert-only with "0"), TTLs, deletes and transactions. The checks are the
cmocka program common/tests/live_dapr_state.c, run here against the stack."""
import os
import subprocess

from conftest import BIN, dapr_token


def test_state_api_against_a_real_sidecar():
    env = {**os.environ, "DAPR_HTTP_ENDPOINT": os.environ["REMINDER_SERVICE_DAPR_URL"],
           "DAPR_API_TOKEN": dapr_token("reminder-service")}
    out = subprocess.run([os.path.join(BIN, "live_dapr_state")], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "PASSED" in out.stdout + out.stderr  # cmocka prints its summary to either
