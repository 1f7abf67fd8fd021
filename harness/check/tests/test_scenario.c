/*
 * test_scenario.c - the names of the scenarios and the behaviour checks'
 * parser, for the kinds the error-path and TLS cases brought: bad-token,
 * fault-walk, tls, tls-bad, and "upgrade PATH => STATUS".
 */
#include <string.h>

#include <leaklab/error.h>

#include "drive/behaviour.h"
#include "check.h"
#include "drive/scenario.h"

static void test_scenario_names(void)
{
	static const char *const names[] = {
	    "connect-close", "connect-drop",  "silent-peer", "no-close-reply",
	    "burst",	     "bad-handshake", "request",     "bad-token",
	    "fault-walk",    "tls",	      "tls-bad"};
	enum lc_scenario_kind k;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		CHECK_EQ(lc_scenario_parse(names[i], &k), 0);
		CHECK_STR(lc_scenario_name(k), names[i]);
	}
	CHECK_EQ(lc_scenario_parse("tls-", &k), LL_EINVAL);
	CHECK_EQ(lc_scenario_parse("", &k), LL_EINVAL);
	CHECK_STR(lc_scenario_name((enum lc_scenario_kind)99), "?");
}

static void test_upgrade_behaviour(void)
{
	struct lc_behaviour b;
	char why[256], text[300];

	CHECK_EQ(lc_behaviour_parse("upgrade /?id=alice&token=00 => 401", &b, why, sizeof(why)), 0);
	CHECK_EQ(b.kind, LC_BH_UPGRADE);
	CHECK_STR(b.text, "/?id=alice&token=00");
	CHECK_EQ(b.number, 401);
	lc_behaviour_describe(&b, text, sizeof(text));
	CHECK_STR(text, "upgrade: \"/?id=alice&token=00\" is answered HTTP 401");
	CHECK_EQ(lc_behaviour_parse("upgrade /?ok => 101", &b, why, sizeof(why)), 0);
	CHECK_EQ(b.number, 101);

	/* No path, a path that is not one, no status, a status out of range. */
	CHECK_EQ(lc_behaviour_parse("upgrade => 401", &b, why, sizeof(why)), LL_EINVAL);
	CHECK(strstr(why, "upgrade PATH => STATUS") != NULL);
	CHECK_EQ(lc_behaviour_parse("upgrade x => 401", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("upgrade /a b => 401", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("upgrade /a =>", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("upgrade /a => 4o1", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("upgrade /a => 99", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("upgrade /a => 600", &b, why, sizeof(why)), LL_EINVAL);
}

int main(void)
{
	RUN(test_scenario_names);
	RUN(test_upgrade_behaviour);
	return 0;
}
