/* fuzz_record.c - fuzz jobs over time, and fuzz.json. */
#include <string.h>
#include "fuzz_record.h"
#include "util.h"

void fuzz_series_init(struct fuzz_series *s, enum policy policy,
                      const char *target, int job)
{
    memset(s, 0, sizeof *s);
    s->policy = policy;
    snprintf(s->target, sizeof s->target, "%s", target);
    s->job = job;
    s->every = 1.0;
}

void fuzz_series_add(struct fuzz_series *s, double t, unsigned long execs,
                     unsigned long execs_per_s, unsigned long cov, bool force)
{
    if (s->n && !force && t - s->samples[s->n - 1].t < 0.75 * s->every)
        return;
    if (s->n == FUZZ_MAX_SAMPLES) { /* keep every other one, slow down */
        for (unsigned i = 0; i < FUZZ_MAX_SAMPLES / 2; i++)
            s->samples[i] = s->samples[2 * i + 1];
        s->n = FUZZ_MAX_SAMPLES / 2;
        s->every *= 2;
    }
    s->samples[s->n++] = (struct fuzz_sample){t, execs, execs_per_s, cov};
}

/* A reproducer path relative to the run's directory. */
static const char *relative(const char *path, const char *out)
{
    size_t n = strlen(out);
    if (n && strncmp(path, out, n) == 0 && path[n] == '/')
        return path + n + 1;
    return path;
}

void fuzz_record_write(FILE *f, const struct fuzz_run_info *info,
                       const struct fuzz_series *series, unsigned nseries,
                       const struct finding_set *found, int exit_status)
{
    unsigned long long total = 0;
    fprintf(f,
            "{\"tool\":\"ternrig fuzz\",\"version\":1,\"engine\":\"%s\","
            "\"mutator\":\"%s\",\"seconds\":%ld,\"jobs\":%ld,"
            "\"started\":%lld,\"series\":[",
            info->engine, info->bytes ? "bytes" : "custom", info->seconds,
            info->jobs, (long long)info->started);
    bool first = true;
    for (unsigned i = 0; i < nseries; i++) {
        const struct fuzz_series *s = &series[i];
        if (s->n == 0) /* a job slot the last round did not use */
            continue;
        fprintf(f, "%s\n{\"policy\":\"%s\",\"target\":", first ? "" : ",",
                policy_name(s->policy));
        json_string(f, s->target);
        fprintf(f, ",\"job\":%d,\"cpu_s\":%.2f,\"samples\":[", s->job,
                s->cpu_s);
        for (unsigned k = 0; k < s->n; k++)
            fprintf(f, "%s[%.1f,%lu,%lu,%lu]", k ? "," : "", s->samples[k].t,
                    s->samples[k].execs, s->samples[k].execs_per_s,
                    s->samples[k].cov);
        fprintf(f, "]}");
        first = false;
        total += s->samples[s->n - 1].execs;
    }
    fprintf(f,
            "],\n\"totals\":{\"execs\":%llu},\"inputs\":%u,"
            "\"unusable\":%u,\"findings\":[",
            total, found->inputs, found->unusable);
    for (unsigned i = 0; i < found->nshapes; i++) {
        const struct shape *sh = &found->shapes[i];
        fprintf(f,
                "%s\n{\"policy\":\"%s\",\"kind\":\"%s\",\"inputs\":%u,"
                "\"programs\":%u,\"first_s\":%.1f,\"mechanism\":",
                i ? "," : "", policy_name(sh->policy),
                finding_kind_name(sh->kind), sh->inputs, sh->programs,
                sh->first_seconds < 0 ? 0.0 : sh->first_seconds);
        json_string(f, sh->mechanism);
        fputs(",\"reproducer\":", f);
        json_string(f, relative(sh->path, info->out));
        fputc('}', f);
    }
    fprintf(f, "],\n\"exit\":%d}\n", exit_status);
}
