/* SPDX-License-Identifier: ISC */
/* vnet-ctl -- ask a running vnet program through its control socket. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vnet/ctl.h"
#include "vnet/log.h"
#include "vnet/opt.h"
#include "vnet/tool.h"

enum {
	OPT_JSON = 1,
	OPT_TIMEOUT,
};

static const struct vnet_opt opts[] = {
	VNET_OPT_ROWS_BASIC,
	{ .name = "json", .flags = VNET_OPT_REPEAT, .key = OPT_JSON,
	  .help = "ask for the reply as JSON" },
	{ .name = "timeout", .arg = "DURATION", .key = OPT_TIMEOUT,
	  .help = "wait this long for the reply (default 5s)" },
	{ 0 },
};

static const struct vnet_opt_prog prog = {
	.name = "vnet-ctl",
	.opts = opts,
	.operands = "NAME COMMAND [ARG ...]",
	.notes = "  NAME is an instance name (its socket is "
		 "/run/vnet/NAME.sock) or a socket\n"
		 "  path; COMMAND is one of the program's (help lists them).\n"
		 "  vnet-ctl list [DIR] lists the instances in /run/vnet (or "
		 "DIR).\n",
};

#define LIST_TIMEOUT_MS 1000 /* for each instance vnet-ctl list asks */
#define MAX_INSTANCES 4096

struct conf {
	struct vnet_opt_common o;
	int json;
	int timeout_ms;
	const char *target;
	char **args; /* COMMAND [ARG ...], or list's [DIR] */
	int nargs;
};

static void parse_args(int argc, char **argv, struct conf *cf)
{
	const char *arg;
	uint64_t ns;
	int c;

	vnet_opt_begin(&prog, &cf->o, argc, argv);
	while ((c = vnet_opt_next(&arg)) != -1) {
		switch (c) {
		case OPT_JSON:
			cf->json = 1;
			break;
		case OPT_TIMEOUT:
			ns = vnet_opt_duration("--timeout", arg);
			if (ns < 1000000 || ns > 3600 * 1000000000ULL)
				vnet_usage_error("--timeout: '%s' is not "
						 "within 1ms-1h", arg);
			cf->timeout_ms = (int)(ns / 1000000);
			break;
		}
	}
	if (optind == argc)
		vnet_usage_error("no NAME given (vnet-ctl list lists them)");
	cf->target = argv[optind];
	cf->args = argv + optind + 1;
	cf->nargs = argc - optind - 1;
	if (!strcmp(cf->target, "list")) {
		if (cf->nargs > 1)
			vnet_usage_error("list takes one DIR at most ('%s' is "
					 "one too many)", cf->args[1]);
		return;
	}
	if (!cf->nargs)
		vnet_usage_error("no COMMAND given (help lists them)");
}

/* COMMAND [ARG ...] [--json] as one request line; a usage error for
 * words the line cannot carry. */
static void request(const struct conf *cf, char *buf, size_t n)
{
	size_t k = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < cf->nargs; i++) {
		const char *w = cf->args[i];

		if (!*w || w[strcspn(w, " \t\r\n")] != '\0')
			vnet_usage_error("'%s': a command or argument is one "
					 "word", w);
		k += (size_t)snprintf(buf + k, k < n ? n - k : 0, "%s%s",
				      i ? " " : "", w);
	}
	if (cf->json)
		k += (size_t)snprintf(buf + k, k < n ? n - k : 0, " --json");
	if (k >= n || k > VNET_CTL_REQ_MAX)
		vnet_usage_error("the request is longer than %d bytes",
				 VNET_CTL_REQ_MAX);
}

/* Why a call failed, in the words of an operator. */
static void report(const char *target, int r, const struct vnet_err *e)
{
	char buf[VNET_ERR_STRLEN];

	vnet_err_str(e, buf, sizeof(buf));
	if (r == -ENOENT)
		vnet_log(VNET_LOG_ERR, "%s: no such instance (%s)", target,
			 buf);
	else if (r == -ECONNREFUSED)
		vnet_log(VNET_LOG_ERR, "%s: not running (%s)", target, buf);
	else
		vnet_log(VNET_LOG_ERR, "%s: %s", target, buf);
}

static int flush_stdout(void)
{
	if (fflush(stdout) || ferror(stdout)) {
		vnet_log(VNET_LOG_ERR, "write stdout: %s", strerror(errno));
		return 1;
	}
	return 0;
}

static int do_call(const struct conf *cf)
{
	char path[256], req[VNET_CTL_REQ_MAX + 64], *reply, *status, *body;
	struct vnet_err e;
	int r, ok;

	request(cf, req, sizeof(req));
	if ((r = vnet_ctl_target(cf->target, path, sizeof(path))) < 0)
		vnet_usage_error(r == -EINVAL ? "'%s' is not an instance name "
						"or a socket path"
					      : "'%s': socket path too long",
				 cf->target);
	vnet_err_clear(&e);
	if ((r = vnet_ctl_call(path, req, cf->timeout_ms, &reply, NULL, &e)) <
	    0) {
		report(cf->target, r, &e);
		return 1;
	}
	ok = vnet_ctl_split(reply, &status, &body);
	if (!ok) {
		vnet_log(VNET_LOG_ERR, "%s: %s", cf->target, status);
		free(reply);
		return 1;
	}
	/* "ok TEXT" is the answer itself (reload: "ok generation 3"). */
	if (!cf->json && strcmp(status, "ok"))
		printf("%s\n", status);
	fputs(body, stdout);
	free(reply);
	return flush_stdout();
}

/* ---- list ---- */

struct inst {
	char name[VNET_CTL_NAME_MAX + 1];
	char path[256];
	char program[64];
	long pid;
	int alive;
};

static int inst_cmp(const void *a, const void *b)
{
	return strcmp(((const struct inst *)a)->name,
		      ((const struct inst *)b)->name);
}

/* The program and pid of a live instance from its describe reply. */
static void ask(struct inst *in)
{
	char *reply, *status, *body, *line, *tab, *save;
	int r;

	snprintf(in->program, sizeof(in->program), "-");
	in->pid = -1;
	r = vnet_ctl_call(in->path, "describe", LIST_TIMEOUT_MS, &reply, NULL,
			  NULL);
	in->alive = r != -ECONNREFUSED && r != -ENOENT;
	if (r < 0)
		return;
	if (vnet_ctl_split(reply, &status, &body))
		for (line = strtok_r(body, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			if (!(tab = strchr(line, '\t')))
				continue;
			*tab++ = '\0';
			if (!strcmp(line, "program"))
				snprintf(in->program, sizeof(in->program),
					 "%s", tab);
			else if (!strcmp(line, "pid"))
				in->pid = strtol(tab, NULL, 10);
		}
	free(reply);
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void print_list(const struct conf *cf, const struct inst *v,
		       size_t n)
{
	size_t i;

	if (cf->json)
		fputs("{\"instances\":[", stdout);
	for (i = 0; i < n; i++) {
		if (!cf->json) {
			printf("%s\t%s\t", v[i].name, v[i].program);
			if (v[i].pid >= 0)
				printf("%ld", v[i].pid);
			else
				putchar('-');
			printf("\t%s\n", v[i].alive ? "yes" : "no");
			continue;
		}
		fputs(i ? ",{\"name\":" : "{\"name\":", stdout);
		json_str(v[i].name);
		fputs(",\"program\":", stdout);
		if (strcmp(v[i].program, "-"))
			json_str(v[i].program);
		else
			fputs("null", stdout);
		if (v[i].pid >= 0)
			printf(",\"pid\":%ld", v[i].pid);
		else
			fputs(",\"pid\":null", stdout);
		printf(",\"alive\":%s,\"control\":",
		       v[i].alive ? "true" : "false");
		json_str(v[i].path);
		putchar('}');
	}
	if (cf->json)
		fputs("]}\n", stdout);
}

static int do_list(const struct conf *cf)
{
	const char *dir = cf->nargs ? cf->args[0] : VNET_CTL_DIR;
	struct inst *v = NULL, *in;
	struct dirent *de;
	struct stat st;
	size_t n = 0, k;
	int ret = 1;
	DIR *d;

	if (!(d = opendir(dir))) {
		if (errno == ENOENT && !cf->nargs) {
			/* No program made it yet: no instances. */
			print_list(cf, NULL, 0);
			return flush_stdout();
		}
		vnet_log(VNET_LOG_ERR, "%s: %s", dir, strerror(errno));
		return 1;
	}
	if (!(v = calloc(MAX_INSTANCES, sizeof(*v)))) {
		vnet_log(VNET_LOG_ERR, "out of memory");
		goto out;
	}
	while ((de = readdir(d)) && n < MAX_INSTANCES) {
		k = strlen(de->d_name);
		if (k <= 5 || k - 5 > VNET_CTL_NAME_MAX ||
		    strcmp(de->d_name + k - 5, ".sock"))
			continue;
		in = &v[n];
		if ((size_t)snprintf(in->path, sizeof(in->path), "%s/%s", dir,
				     de->d_name) >= sizeof(in->path) ||
		    lstat(in->path, &st) || !S_ISSOCK(st.st_mode))
			continue;
		snprintf(in->name, sizeof(in->name), "%.*s", (int)(k - 5),
			 de->d_name);
		ask(in);
		n++;
	}
	qsort(v, n, sizeof(*v), inst_cmp);
	print_list(cf, v, n);
	ret = flush_stdout();
out:
	closedir(d);
	free(v);
	return ret;
}

int main(int argc, char **argv)
{
	struct conf cf = { .timeout_ms = VNET_CTL_TIMEOUT_MS };

	parse_args(argc, argv, &cf);
	if (!strcmp(cf.target, "list"))
		return do_list(&cf);
	return do_call(&cf);
}
