/*
 * Document metadata (src/meta.c): the source a URL names and ISO 8601 dates,
 * read the same way by every front end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "internal.h"

static void expect_host(const char *url, const char *want)
{
    char buf[64];
    size_t n = 0;
    int rc = nd_url_host(url, strlen(url), buf, sizeof buf, &n);
    if (!want) {
        if (rc != ND_E_INVALID) fail_msg("%s: rc %d, expected ND_E_INVALID", url, rc);
        return;
    }
    if (rc != ND_OK || n != strlen(want) || memcmp(buf, want, n) != 0)
        fail_msg("%s: rc %d, host '%.*s', expected '%s'", url, rc, (int)n, buf, want);
}

static void test_url_host(void **state)
{
    (void)state;
    expect_host("https://www.reuters.com/article/x", "reuters.com");
    expect_host("HTTP://WWW.Example.COM:8080/a?b#c", "example.com");
    expect_host("https://user:pw@news.bbc.co.uk/news", "news.bbc.co.uk");
    expect_host("https://example.org?q=1", "example.org");
    expect_host("https://example.org.", "example.org");
    expect_host("//cdn.example.net/x", "cdn.example.net");
    expect_host("https://[2001:db8::1]:443/", "[2001:db8::1]");
    expect_host("https://www2.example.com/", "www2.example.com");
    expect_host("https://www./", "www"); /* the trailing dot goes first */
    expect_host("https://b\xc3\xbc" "cher.example/", "b\xc3\xbc" "cher.example");
    expect_host("https://www.[x]y/", NULL);
    expect_host("https://exa mple.com/", NULL);
    expect_host("https://[zz::1]/", NULL);
    expect_host("example.com/path", NULL);
    expect_host("mailto:someone@example.com", NULL);
    expect_host("https:///path", NULL);
    expect_host("", NULL);
}

static void test_url_host_capacity(void **state)
{
    (void)state;
    const char *url = "https://www.example.com/";
    char buf[4] = { 'x', 'x', 'x', 'x' };
    size_t n = 0;
    assert_int_equal(nd_url_host(url, strlen(url), buf, sizeof buf, &n), ND_E_BUFFER);
    assert_int_equal(n, strlen("example.com"));
    assert_memory_equal(buf, "xxxx", 4); /* nothing written past what fits */
    assert_int_equal(nd_url_host(url, strlen(url), NULL, 0, &n), ND_E_BUFFER);
    assert_int_equal(nd_url_host(url, strlen(url), buf, sizeof buf, NULL), ND_E_INVALID);
    assert_int_equal(nd_url_host(NULL, 3, buf, sizeof buf, &n), ND_E_INVALID);
}

static int64_t date_of(const char *s)
{
    int64_t t = -1;
    int rc = nd_date_parse(s, strlen(s), &t);
    if (rc != ND_OK) fail_msg("'%s': rc %d", s, rc);
    return t;
}

static void expect_bad_date(const char *s)
{
    int64_t t = 0;
    if (nd_date_parse(s, strlen(s), &t) != ND_E_INVALID) fail_msg("'%s' accepted", s);
}

static void test_date_parse(void **state)
{
    (void)state;
    assert_int_equal(date_of("1970-01-01"), 0);
    assert_int_equal(date_of("2019-11-18"), 1574035200);
    assert_int_equal(date_of("2019-11-18T09:30:00Z"), 1574035200 + 9 * 3600 + 30 * 60);
    assert_int_equal(date_of("2019-11-18 09:30"), 1574035200 + 9 * 3600 + 30 * 60);
    assert_int_equal(date_of("2019-11-18T09:30:00+02:00"), 1574035200 + 7 * 3600 + 30 * 60);
    assert_int_equal(date_of("2019-11-18T09:30:00.123-0130"), 1574035200 + 11 * 3600);
    assert_int_equal(date_of(" 2000-02-29 "), 951782400);
    assert_int_equal(date_of("1969-12-31"), -86400);
    assert_int_equal(date_of("2400-02-29"), 13574563200);
    expect_bad_date("2019-02-29");
    expect_bad_date("1900-02-29");
    expect_bad_date("2019-13-01");
    expect_bad_date("2019-11-31");
    expect_bad_date("2019-11-18T25:00");
    expect_bad_date("2019-11-18T09:30:00Z junk");
    expect_bad_date("18/11/2019");
    expect_bad_date("yesterday");
    expect_bad_date("");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_host),
        cmocka_unit_test(test_url_host_capacity),
        cmocka_unit_test(test_date_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
