// Sign in and sign up: one form, two modes.
import { useState } from 'preact/hooks';
import type { Session } from '../lib/api';
import { FieldError, fieldErrors } from './common';

export function Auth(props: {
  mode: 'signin' | 'signup';
  session: Session;
  notice: string;
  navigate: (url: string) => void;
  onSignedIn: () => void;
}) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [errs, setErrs] = useState<{ byField: Record<string, string>; general: string }>({ byField: {}, general: '' });
  const up = props.mode === 'signup';

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErrs({ byField: {}, general: '' });
    try {
      if (up) await props.session.register(email, password);
      else await props.session.login(email, password);
      props.onSignedIn();
    } catch (err) {
      setErrs(fieldErrors(err, ['email', 'password']));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main>
      <form class="auth" onSubmit={submit} noValidate>
        <h1>{up ? 'Create your account' : 'Sign in'}</h1>
        {props.notice && (
          <p class="notice" role="alert">
            {props.notice}
          </p>
        )}
        <label for="email">Email</label>
        <input
          id="email"
          type="email"
          autocomplete="email"
          required
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
          aria-invalid={!!errs.byField.email}
          aria-describedby={errs.byField.email ? 'email-err' : undefined}
        />
        <FieldError id="email-err" text={errs.byField.email} />
        <label for="password">Password</label>
        <input
          id="password"
          type="password"
          autocomplete={up ? 'new-password' : 'current-password'}
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
          aria-invalid={!!errs.byField.password}
          aria-describedby={errs.byField.password ? 'password-err' : up ? 'password-hint' : undefined}
        />
        {up && !errs.byField.password && (
          <p class="muted" id="password-hint">
            At least 8 characters, and not your email.
          </p>
        )}
        <FieldError id="password-err" text={errs.byField.password} />
        {errs.general && (
          <p class="error" role="alert">
            {errs.general}
          </p>
        )}
        <p>
          <button class="primary" type="submit" disabled={busy}>
            {up ? 'Create account' : 'Sign in'}
          </button>
        </p>
        <p class="muted">
          {up ? 'Already have an account? ' : 'New here? '}
          <a
            href={up ? '/signin' : '/signup'}
            onClick={(e) => {
              e.preventDefault();
              props.navigate(up ? '/signin' : '/signup');
            }}
          >
            {up ? 'Sign in' : 'Create an account'}
          </a>
        </p>
      </form>
    </main>
  );
}
