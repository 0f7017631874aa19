/* lab.h - the policy lab's results (`ternrig lab`): their JSON form and
 * the tables drawn from it.
 *
 * Owns: reading lab.json and drawing it as a terminal table, a Markdown
 * table (README.md) and an HTML section (report.html).  Every table is
 * drawn from the parsed JSON, never from the run's memory, so that a
 * saved lab.json (`ternrig lab --from`) and a fresh run look the same.
 *
 *   {"tool":"ternrig lab","version":1,"quick":false,
 *    "fuzz":{"seconds":S,"seeds":[1,2,3],
 *            "engines":[{"engine":"libfuzzer","ran":true,"why":""}]},
 *    "corpus":{"ran":true,"dir":"corpus/traces","why":""},
 *    "stress":{"ran":true,"seconds":D,"seed":N,"why":""},
 *    "clients":{"ran":true,"why":""},
 *    "policies":[{"policy":"kmod",
 *      "fuzz":{"libfuzzer":{"runs":[{"seed":1,"mechanisms":4,"safety":2,
 *                                    "error":""}],
 *                           "median":4,"median_safety":2}},
 *      "corpus":{"traces":48,"hold":48,"errors":0,"safety":5,
 *                "kinds":{"early-seal":3,...}},        traces with each kind
 *                ("safety": traces with a safety violation of any kind)
 *      "stress":{"ran":true,"why":"","scenarios":N,"violations":V,
 *                "kinds":{"early-seal":1,...}},        violations of each kind
 *      "clients":{"ran":true,"why":"","exact":N,"empty":N,"truncated":N,
 *                 "lost":N,"error":N,"skipped":N}}]}
 *
 * "safety" is early-seal, visible-after-abort and mutated-after-seal: a
 * file shown that must not be (or changed once shown).  lost-file and
 * create-failed cost the user a file; hazards are not violations.
 */
#ifndef TERNRIG_LAB_H
#define TERNRIG_LAB_H

#include <stdbool.h>
#include <stdio.h>
#include "event.h"
#include "json.h"

/* early-seal, visible-after-abort, mutated-after-seal */
bool lab_kind_is_safety(enum finding_kind k);

/* Check that `lab` is a lab result (tool, version, policies): 0, or -1
 * with `why`. */
int lab_check(const struct json *lab, char *why, size_t cap);

/* The table for a terminal, one row per policy. */
void lab_print_text(FILE *f, const struct json *lab);
/* The same as a Markdown table, with a line saying how it was measured. */
void lab_print_markdown(FILE *f, const struct json *lab);
/* An HTML <section> (no script, no external resource). */
void lab_print_html(FILE *f, const struct json *lab);

#endif
