#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "auth.h"

/* s repeated n times, NUL-terminated, into a malloc'd buffer. */
static char *repeat(const char *s, size_t n)
{
	size_t len = strlen(s);
	char *out = malloc(len * n + 1);
	assert_non_null(out);
	for (size_t i = 0; i < n; i++)
		memcpy(out + i * len, s, len);
	out[len * n] = '\0';
	return out;
}

/* local@domain with the parts built by repeat(). */
static char *email_of(const char *l, size_t nl, const char *d, size_t nd, const char *tail)
{
	char *local = repeat(l, nl), *dom = repeat(d, nd);
	size_t len = strlen(local) + strlen(dom) + strlen(tail) + 2;
	char *out = malloc(len);
	assert_non_null(out);
	snprintf(out, len, "%s@%s%s", local, dom, tail);
	free(local);
	free(dom);
	return out;
}

static void expect_email(const char *in, const char *want)
{
	char out[SVC_EMAIL_BUF];
	struct svc_err e = {0};
	assert_int_equal(svc_email_normalize(in, out, &e), SVC_OK);
	assert_string_equal(out, want);
}

static void expect_bad_email(const char *in)
{
	char out[SVC_EMAIL_BUF];
	struct svc_err e = {0};
	if (svc_email_normalize(in, out, &e) != SVC_EINVAL)
		fail_msg("accepted %s", in);
	assert_string_equal(e.field, "email");
	assert_true(e.message[0] != '\0');
	assert_string_equal(out, "");
}

static void email_is_trimmed_and_lowercased(void **state)
{
	(void)state;
	expect_email("Alice@Example.COM", "alice@example.com");
	expect_email("  \t bob@example.org\r\n", "bob@example.org");
	/* A non-breaking space pasted around it is trimmed too. */
	expect_email("\xc2\xa0" "carol@example.net" "\xe2\x80\x83", "carol@example.net");
	/* Only ASCII letters change case; other characters stay as they are. */
	expect_email("JOS\xc3\x89@B\xc3\x9c"
		     "CHER.example",
		     "jos\xc3\x89@b\xc3\x9c"
		     "cher.example");
	expect_email("a+tag.x@sub.example.co.uk", "a+tag.x@sub.example.co.uk");
	expect_email("a@b.c", "a@b.c");
}

static void email_shape_is_checked(void **state)
{
	(void)state;
	expect_bad_email("");
	expect_bad_email("   ");
	expect_bad_email("alice.example.com");
	expect_bad_email("alice@@example.com");
	expect_bad_email("a@b@example.com");
	expect_bad_email("@example.com");
	expect_bad_email("alice@localhost");
	expect_bad_email("alice@");
	expect_bad_email("alice@.example.com");
	expect_bad_email("alice@example.com.");
	expect_bad_email("alice@example..com");
	expect_bad_email("al ice@example.com");
	expect_bad_email("alice@exa\tmple.com");
	expect_bad_email("alice\x01@example.com");
	expect_bad_email("alice\x7f@example.com");
	expect_bad_email("alice\xc2\x85@example.com");    /* U+0085, a C1 control */
	expect_bad_email("ali\xc2\xa0" "ce@example.com"); /* no-break space inside */
	expect_bad_email("ali\xe2\x80\x8b" "ce@example.com"); /* zero-width space */
	expect_bad_email("ali\xe3\x80\x80" "ce@example.com"); /* ideographic space */
	expect_bad_email("alice\xff@example.com");        /* not UTF-8 */
}

static void email_lengths_count_characters(void **state)
{
	(void)state;
	static const struct {
		const char *local;
		size_t nlocal;
		const char *domain;
		size_t ndomain;
		bool ok;
	} cases[] = {
		/* Local part: 64 characters is the most, whatever their bytes. */
		{"a", 64, "b", 1, true},
		{"a", 65, "b", 1, false},
		{"\xc3\xa9", 64, "b", 1, true}, /* 64 x e-acute, 128 bytes */
		{"\xc3\xa9", 65, "b", 1, false},
		/* Whole address: 254 characters is the most: 10 + 1 + 240 + 3. */
		{"a", 10, "b", 240, true},
		{"a", 10, "b", 241, false},
		/* 254 characters of four bytes each still fit. */
		{"\xf0\x9f\x98\x80", 10, "\xf0\x9f\x98\x80", 240, true},
		{"\xf0\x9f\x98\x80", 10, "\xf0\x9f\x98\x80", 241, false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *s = email_of(cases[i].local, cases[i].nlocal, cases[i].domain,
				   cases[i].ndomain, ".co");
		if (cases[i].ok)
			expect_email(s, s);
		else
			expect_bad_email(s);
		free(s);
	}
	/* Trimmed white space does not count. */
	char *pad = repeat(" ", 3000);
	size_t plen = strlen(pad) * 2 + 20;
	char *padded = malloc(plen);
	assert_non_null(padded);
	snprintf(padded, plen, "%sa@b.co%s", pad, pad);
	expect_email(padded, "a@b.co");
	free(padded);
	free(pad);
}

static void expect_password(const char *pw, const char *email, enum svc_result want)
{
	struct svc_err e = {0};
	enum svc_result r = gw_password_check(pw, email, &e);
	if (r != want)
		fail_msg("password \"%s\": got %d, want %d (%s)", pw, r, want, e.message);
	if (want != SVC_OK) {
		assert_string_equal(e.field, "password");
		assert_true(strstr(e.message, "password must") != NULL);
	}
}

static void password_policy(void **state)
{
	(void)state;
	const char *email = "alice@example.com";
	expect_password("12345678", email, SVC_OK);
	expect_password("1234567", email, SVC_EUNPROCESSABLE);
	expect_password("", email, SVC_EUNPROCESSABLE);
	expect_password("correct horse battery staple", email, SVC_OK);
	/* Only white space, of any kind, is no password. */
	expect_password("        ", email, SVC_EUNPROCESSABLE);
	expect_password(" \t \r\n \t ", email, SVC_EUNPROCESSABLE);
	/* no-break, ideographic and em spaces */
	expect_password("\xc2\xa0\xc2\xa0\xc2\xa0\xc2\xa0"
			"\xe3\x80\x80\xe3\x80\x80\xe2\x80\x83\xe2\x80\x83",
			email, SVC_EUNPROCESSABLE);
	expect_password("  a     ", email, SVC_OK);
	/* Not the email, in any letter case, with or without spaces around. */
	expect_password("alice@example.com", email, SVC_EUNPROCESSABLE);
	expect_password("ALICE@Example.com", email, SVC_EUNPROCESSABLE);
	expect_password(" alice@example.com ", email, SVC_EUNPROCESSABLE);
	expect_password("alice@example.co", email, SVC_OK);
	expect_password("alice@example.com!", email, SVC_OK);

	struct svc_err e = {0};
	assert_int_equal(gw_password_check("1234567", email, &e), SVC_EUNPROCESSABLE);
	assert_string_equal(e.message, "password must be 8 to 128 characters long");
}

static void password_length_counts_code_points(void **state)
{
	(void)state;
	const char *email = "alice@example.com";
	char *pw = repeat("\xc3\xa9", 8); /* 8 characters, 16 bytes */
	expect_password(pw, email, SVC_OK);
	free(pw);
	pw = repeat("\xe2\x82\xac", 7); /* 7 euro signs, 21 bytes */
	expect_password(pw, email, SVC_EUNPROCESSABLE);
	free(pw);
	pw = repeat("\xf0\x9f\x98\x80", 128); /* 128 emoji, 512 bytes */
	expect_password(pw, email, SVC_OK);
	free(pw);
	pw = repeat("\xf0\x9f\x98\x80", 129);
	expect_password(pw, email, SVC_EUNPROCESSABLE);
	free(pw);
	pw = repeat("x", 128);
	expect_password(pw, email, SVC_OK);
	free(pw);
	pw = repeat("x", 129);
	expect_password(pw, email, SVC_EUNPROCESSABLE);
	free(pw);
}

static void refresh_tokens(void **state)
{
	(void)state;
	char a[GW_REFRESH_LEN + 1], b[GW_REFRESH_LEN + 1];
	char ha[GW_TOKEN_HASH_HEX], hb[GW_TOKEN_HASH_HEX], check[GW_TOKEN_HASH_HEX];
	assert_int_equal(gw_refresh_token_new(a, ha), 0);
	assert_int_equal(gw_refresh_token_new(b, hb), 0);
	assert_int_equal(strlen(a), GW_REFRESH_LEN);
	assert_true(gw_refresh_token_wellformed(a));
	assert_true(strcmp(a, b) != 0);
	assert_true(strcmp(ha, hb) != 0);
	gw_token_hash(a, check);
	assert_string_equal(check, ha);
	assert_int_equal(strlen(ha), 64);

	gw_token_hash("abc", check);
	assert_string_equal(check,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

	char *t = repeat("A", GW_REFRESH_LEN);
	assert_true(gw_refresh_token_wellformed(t));
	t[5] = '+';
	assert_false(gw_refresh_token_wellformed(t));
	t[5] = '=';
	assert_false(gw_refresh_token_wellformed(t));
	t[5] = '-';
	assert_true(gw_refresh_token_wellformed(t));
	free(t);
	t = repeat("A", GW_REFRESH_LEN - 1);
	assert_false(gw_refresh_token_wellformed(t));
	free(t);
	t = repeat("A", GW_REFRESH_LEN + 1);
	assert_false(gw_refresh_token_wellformed(t));
	free(t);
	assert_false(gw_refresh_token_wellformed(""));
}

static void token_response_shape(void **state)
{
	(void)state;
	struct gw_user u = {.id = "0b7f9d6e-1c2a-4f3b-8d4e-5a6b7c8d9e0f",
			    .email = "alice@example.com",
			    .created_at = "2026-01-02T03:04:05.678Z"};
	cJSON *o = gw_token_response(&u, "acc.ess.tok", 900, "refresh-tok");
	assert_non_null(o);
	char *s = cJSON_PrintUnformatted(o);
	assert_string_equal(
		s, "{\"user\":{\"id\":\"0b7f9d6e-1c2a-4f3b-8d4e-5a6b7c8d9e0f\","
		   "\"email\":\"alice@example.com\",\"created_at\":\"2026-01-02T03:04:05.678Z\"},"
		   "\"access_token\":\"acc.ess.tok\",\"token_type\":\"Bearer\",\"expires_in\":900,"
		   "\"refresh_token\":\"refresh-tok\",\"refresh_expires_in\":604800}");
	free(s);
	cJSON_Delete(o);
}

/* ACCESS_TOKEN_TTL_S sets the lifetime the answer states (and the gateway
 * signs); 900 when unset, out-of-range values stop the start. */
static void access_ttl_from_env(void **state)
{
	(void)state;
	struct svc_config cfg;
	svc_config_init(&cfg);
	unsetenv("ACCESS_TOKEN_TTL_S");
	assert_int_equal(gw_access_ttl(&cfg), 900);
	setenv("ACCESS_TOKEN_TTL_S", "20", 1);
	assert_int_equal(gw_access_ttl(&cfg), 20);
	assert_int_equal(cfg.count, 0);
	struct gw_user u = {.id = "0b7f9d6e-1c2a-4f3b-8d4e-5a6b7c8d9e0f", .email = "a@b.cd",
			    .created_at = "2026-01-02T03:04:05Z"};
	cJSON *o = gw_token_response(&u, "a.b.c", gw_access_ttl(&cfg), "r");
	assert_non_null(o);
	assert_int_equal(cJSON_GetObjectItem(o, "expires_in")->valueint, 20);
	cJSON_Delete(o);
	const char *bad[] = {"0", "-5", "86401", "ten", "15m"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct svc_config c2;
		svc_config_init(&c2);
		setenv("ACCESS_TOKEN_TTL_S", bad[i], 1);
		gw_access_ttl(&c2);
		assert_int_equal(c2.count, 1);
		assert_non_null(strstr(c2.errors, "ACCESS_TOKEN_TTL_S"));
	}
	unsetenv("ACCESS_TOKEN_TTL_S");
}

static void password_hashing(void **state)
{
	(void)state;
	struct gw_pwhash h;
	struct svc_err e = {0};
	assert_int_equal(gw_pwhash_init(&h, 2, 5000, &e), SVC_OK);
	assert_int_equal(strncmp(h.dummy, "$argon2id$", 10), 0);

	char stored[GW_PWHASH_BUF];
	assert_int_equal(gw_pwhash_hash(&h, "correct horse", stored, &e), SVC_OK);
	assert_int_equal(strncmp(stored, "$argon2id$", 10), 0);
	bool rehash = true;
	assert_int_equal(gw_pwhash_verify(&h, stored, "correct horse", &rehash, &e), SVC_OK);
	assert_false(rehash);

	svc_err_clear(&e);
	assert_int_equal(gw_pwhash_verify(&h, stored, "correct horsf", &rehash, &e), SVC_EAUTH);
	assert_string_equal(e.message, "invalid email or password");
	struct svc_err unknown = {0};
	/* No stored hash (unknown email): the same refusal. */
	assert_int_equal(gw_pwhash_verify(&h, NULL, "correct horse", &rehash, &unknown),
			 SVC_EAUTH);
	assert_string_equal(unknown.message, e.message);
	assert_string_equal(unknown.field, e.field);

	/* A hash made with weaker parameters still verifies, and asks for a
	 * rehash. */
	char weak[crypto_pwhash_STRBYTES];
	assert_int_equal(crypto_pwhash_str(weak, "old pass", 8, crypto_pwhash_OPSLIMIT_MIN,
					   crypto_pwhash_MEMLIMIT_MIN),
			 0);
	assert_int_equal(gw_pwhash_verify(&h, weak, "old pass", &rehash, &e), SVC_OK);
	assert_true(rehash);
	gw_pwhash_cleanup(&h);
}

static void hashing_waits_for_a_slot(void **state)
{
	(void)state;
	struct gw_pwhash h;
	struct svc_err e = {0};
	assert_int_equal(gw_pwhash_init(&h, 1, 50, &e), SVC_OK);
	/* Someone holds the only slot: the next caller gives up after wait_ms. */
	assert_int_equal(sem_wait(&h.slots), 0);
	bool rehash;
	char out[GW_PWHASH_BUF];
	assert_int_equal(gw_pwhash_hash(&h, "whatever1", out, &e), SVC_EUNAVAIL);
	assert_int_equal(gw_pwhash_verify(&h, h.dummy, "whatever1", &rehash, &e), SVC_EUNAVAIL);
	sem_post(&h.slots);
	assert_int_equal(gw_pwhash_verify(&h, NULL, "whatever1", &rehash, &e), SVC_EAUTH);
	gw_pwhash_cleanup(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(email_is_trimmed_and_lowercased),
		cmocka_unit_test(email_shape_is_checked),
		cmocka_unit_test(email_lengths_count_characters),
		cmocka_unit_test(password_policy),
		cmocka_unit_test(password_length_counts_code_points),
		cmocka_unit_test(refresh_tokens),
		cmocka_unit_test(token_response_shape),
		cmocka_unit_test(access_ttl_from_env),
		cmocka_unit_test(password_hashing),
		cmocka_unit_test(hashing_waits_for_a_slot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
