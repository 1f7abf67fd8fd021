/*
 * cases.c - the case scenarios (scenario.h's lc_case_scenario) and case
 * checks (behaviour.h's lc_case_check): the clients only one case needs,
 * plugged into the generic drivers here, so scenario.c and behaviour.c
 * name none of them.
 */
#include "drive/behaviour.h"
#include "drive/pubsub.h"
#include "drive/scenario.h"

static const struct lc_case_scenario *const case_scenarios[] = {
    &lc_pubsub_scenario,	 /* 13-slow-consumer */
    &lc_pubsub_talking_scenario, /* 13-slow-consumer */
};

const struct lc_case_scenario *lc_case_scenario_of(enum lc_scenario_kind k)
{
	size_t i;

	for (i = 0; i < sizeof(case_scenarios) / sizeof(case_scenarios[0]); i++)
		if (case_scenarios[i]->kind == k)
			return case_scenarios[i];
	return NULL;
}

static const struct lc_case_check *const case_checks[] = {
    &lc_pubsub_broadcast, /* 13-slow-consumer */
};

const struct lc_case_check *lc_case_check_of(enum lc_behaviour_kind k)
{
	size_t i;

	for (i = 0; i < sizeof(case_checks) / sizeof(case_checks[0]); i++)
		if (case_checks[i]->kind == k)
			return case_checks[i];
	return NULL;
}
