// SPDX-License-Identifier: GPL-2.0
/* linkpin: attach a PINNED program to a tracepoint, kprobe or fentry hook and PIN THE LINK.
 *
 * bpftool (Debian's 7.1) can load and pin such programs but not attach them. This does only
 * that one step, so a lab script stays a list of bpftool commands:
 *
 *   bpftool prog loadall build/conn_trace.bpf.o /sys/fs/bpf/bpflab/bpf2bpf pinmaps ...
 *   linkpin tracepoint /sys/fs/bpf/bpflab/bpf2bpf/tp_conn_out sock:inet_sock_set_state \
 *           /sys/fs/bpf/bpflab/bpf2bpf/link_out
 *   rm /sys/fs/bpf/bpflab/bpf2bpf/link_out          # detaches: the pin was the last reference
 *
 * tracepoint/kprobe: perf_event_open() + bpf_link_create(BPF_PERF_EVENT). The link holds the
 * perf event, so the attachment outlives this process for as long as the link is pinned.
 * `probe` answers "could I attach here?" without a program, for a script choosing a hook.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <mntent.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "numarg.h"
#include "pinutil.h"

/* Where tracefs usually is; a tracefs mount listed in /proc/self/mounts is tried first. */
static const char *tracefs_dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
#define N_TRACEFS (sizeof(tracefs_dirs) / sizeof(tracefs_dirs[0]))
#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif
#define KPROBE_PMU "/sys/bus/event_source/devices/kprobe/type"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: linkpin [-v] tracepoint PROG_PIN GROUP:NAME LINK_PIN\n"
		"       linkpin [-v] kprobe     PROG_PIN FUNC       LINK_PIN\n"
		"       linkpin [-v] fentry     PROG_PIN            LINK_PIN\n"
		"       linkpin [-v] probe kprobe FUNC | probe tracepoint GROUP:NAME\n"
		"Attach the program pinned at PROG_PIN and pin the link at LINK_PIN.\n"
		"Remove LINK_PIN (rm) to detach. `probe` exits 0 if the hook can be attached here,\n"
		"else prints why and exits 1.\n");
}

/* Read one small decimal number (a line) from FILE; -errno if it cannot be read. */
static int read_num(const char *file, long *val)
{
	char buf[32] = "";
	int fd = open(file, O_RDONLY | O_CLOEXEC), n;
	uint64_t v;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	buf[strcspn(buf, "\n")] = '\0';
	if (numarg_u64(buf, 10, 0, INT32_MAX, &v))
		return -EINVAL;
	*val = (long)v;
	return 0;
}

static int is_tracefs(const char *dir)
{
	struct statfs sfs;

	return !statfs(dir, &sfs) && (unsigned long)sfs.f_type == TRACEFS_MAGIC;
}

/* Find a reachable tracefs: DIR gets its path. Says why not on failure. Two things once made
 * this say "not mounted" although it was: a tracefs listed in /proc/mounts but hidden under
 * a later mount (a sandbox's fresh sysfs over /sys), and a non-root user, whom tracefs
 * (mode 0700) refuses with EACCES. */
static int tracefs_find(char *dir, size_t len)
{
	char hidden[256] = "";
	struct mntent *m;
	size_t i;
	FILE *f;

	f = setmntent("/proc/self/mounts", "r");
	while (f && (m = getmntent(f))) {
		if (strcmp(m->mnt_type, "tracefs"))
			continue;
		if (is_tracefs(m->mnt_dir)) {
			snprintf(dir, len, "%s", m->mnt_dir);
			endmntent(f);
			return 0;
		}
		if (!hidden[0])
			snprintf(hidden, sizeof(hidden), "%s", m->mnt_dir);
	}
	if (f)
		endmntent(f);
	for (i = 0; i < N_TRACEFS; i++)
		if (is_tracefs(tracefs_dirs[i])) {	/* statfs mounts debugfs's automount too */
			snprintf(dir, len, "%s", tracefs_dirs[i]);
			return 0;
		}
	if (hidden[0]) {
		fprintf(stderr, "%s: error: tracefs is mounted at %s, but another mount hides it "
				"(a new sysfs mounted over /sys?)\n", pu_prog, hidden);
		fprintf(stderr, "Hint: mount it again where it is visible: mount -t tracefs tracefs %s\n",
			tracefs_dirs[0]);
	} else {
		fprintf(stderr, "%s: error: tracefs is not mounted (none in /proc/self/mounts, nothing at %s)\n",
			pu_prog, tracefs_dirs[0]);
		fprintf(stderr, "Hint: mount -t tracefs tracefs %s\n", tracefs_dirs[0]);
	}
	return -ENOENT;
}

static int perf_open(struct perf_event_attr *attr)
{
	int fd = syscall(__NR_perf_event_open, attr, -1 /* any pid */, 0 /* cpu: BPF runs on all */,
			 -1, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* GROUP:NAME -> a perf event on it; prints the reason on failure. */
static int tracepoint_open(const char *tp)
{
	struct perf_event_attr attr = { .type = PERF_TYPE_TRACEPOINT, .size = sizeof(attr) };
	char path[512], group[128], dir[256];
	const char *name = strchr(tp, ':');
	long id = -1;
	int err, fd;

	if (!name || name == tp || !name[1] || (size_t)(name - tp) >= sizeof(group)) {
		pu_err(0, "tracepoint '%s': expected GROUP:NAME, e.g. sock:inet_sock_set_state", tp);
		return -EINVAL;
	}
	snprintf(group, sizeof(group), "%.*s", (int)(name - tp), tp);
	name++;
	err = tracefs_find(dir, sizeof(dir));
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/events", dir);
	if (access(path, X_OK)) {
		err = -errno;
		pu_err(err, "tracefs at %s: cannot read its events", dir);
		return err;
	}
	snprintf(path, sizeof(path), "%s/events/%s/%s/id", dir, group, name);
	err = read_num(path, &id);
	if (err) {
		pu_err(err, "tracepoint %s:%s: cannot read %s", group, name, path);
		return err;
	}
	attr.config = id;
	fd = perf_open(&attr);
	if (fd < 0)
		pu_err(fd, "perf_event_open(tracepoint %s:%s, id %ld)", group, name, id);
	return fd;
}

/* A kprobe through the kprobe PMU (4.17+): no tracefs kprobe_events entry to clean up. */
static int kprobe_open(const char *func)
{
	struct perf_event_attr attr = { .size = sizeof(attr) };
	long type;
	int err, fd;

	err = read_num(KPROBE_PMU, &type);
	if (err) {
		/* Say which of the two kprobe interfaces is missing: the fix differs. */
		if (!access("/sys/kernel/tracing/kprobe_events", F_OK) ||
		    !access("/sys/kernel/debug/tracing/kprobe_events", F_OK))
			fprintf(stderr, "%s: error: kprobe %s: no kprobe PMU (%s missing); this kernel "
				"(before 4.17?) has only tracefs kprobe_events, which linkpin does not use\n",
				pu_prog, func, KPROBE_PMU);
		else
			fprintf(stderr, "%s: error: kprobe %s: no kprobe PMU (%s) and no kprobe_events in "
				"tracefs: kernel built without CONFIG_KPROBES/CONFIG_KPROBE_EVENTS\n",
				pu_prog, func, KPROBE_PMU);
		return err;
	}
	attr.type = type;
	attr.config1 = (__u64)(unsigned long)func;	/* kprobe_func */
	attr.config2 = 0;				/* offset */
	fd = perf_open(&attr);
	if (fd < 0)
		pu_err(fd, "perf_event_open(kprobe %s)", func);
	return fd;
}

static int attach(const char *kind, const char *prog_pin, const char *target, const char *link_pin)
{
	__u32 want = !strcmp(kind, "tracepoint") ? BPF_PROG_TYPE_TRACEPOINT :
		     !strcmp(kind, "kprobe") ? BPF_PROG_TYPE_KPROBE : BPF_PROG_TYPE_TRACING;
	struct pu_obj prog;
	int pfd = -1, lfd = -1, err;

	if (pu_open_prog(prog_pin, &prog))
		return 1;
	if (prog.type != want) {
		pu_err(0, "%s is a %s program, %s needs a %s program", prog_pin,
		       pu_prog_type_str(prog.type), kind, pu_prog_type_str(want));
		goto out;
	}
	/* Refuse before attaching: a pin outside bpffs fails with EPERM, even for root. */
	if (pu_pin_dir_check(link_pin))
		goto out;
	/* Refuse before attaching: a second link on the same pin would be unreachable. */
	if (!access(link_pin, F_OK)) {
		pu_err(-EEXIST, "%s", link_pin);
		fprintf(stderr, "Hint: it is probably attached already; rm %s detaches it\n", link_pin);
		goto out;
	}
	if (want == BPF_PROG_TYPE_TRACING) {
		/* The hook was fixed at load time (attach_btf_id): no target fd. */
		lfd = bpf_link_create(prog.fd, 0, BPF_TRACE_FENTRY, NULL);
	} else {
		pfd = want == BPF_PROG_TYPE_TRACEPOINT ? tracepoint_open(target) : kprobe_open(target);
		if (pfd < 0)
			goto out;
		lfd = bpf_link_create(prog.fd, pfd, BPF_PERF_EVENT, NULL);
	}
	if (lfd < 0) {
		err = -errno;	/* before any printing can change errno */
		pu_err(err, "attach %s to %s %s", prog_pin, kind, target ? target : "");
		if (err == -EINVAL && want != BPF_PROG_TYPE_TRACING)
			fprintf(stderr, "Hint: perf event links need Linux 5.15+\n");
		goto out;
	}
	err = bpf_obj_pin(lfd, link_pin);
	if (err) {
		/* Closing lfd below detaches again: nothing half-done is left. */
		pu_err(-errno, "pin link at %s", link_pin);
		goto out;
	}
	printf("%s: %s attached to %s%s%s, link pinned at %s\n", pu_prog, prog.name, kind,
	       target ? " " : "", target ? target : "", link_pin);
	close(lfd);
	if (pfd >= 0)
		close(pfd);
	pu_close(&prog);
	return 0;
out:
	if (lfd >= 0)
		close(lfd);
	if (pfd >= 0)
		close(pfd);
	pu_close(&prog);
	return 1;
}

static int probe(const char *kind, const char *target)
{
	int fd;

	if (!strcmp(kind, "kprobe"))
		fd = kprobe_open(target);
	else if (!strcmp(kind, "tracepoint"))
		fd = tracepoint_open(target);
	else {
		usage(stderr);
		return 2;
	}
	if (fd < 0)
		return 1;
	close(fd);
	printf("%s: %s %s: ok\n", pu_prog, kind, target);
	return 0;
}

int main(int argc, char **argv)
{
	int verbose = 0, i = 1;

	if (argc > 1 && (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--verbose"))) {
		verbose = 1;
		i++;
	}
	pu_init(argv[0], verbose);
	if (argc - i == 1 && (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc - i == 4 && (!strcmp(argv[i], "tracepoint") || !strcmp(argv[i], "kprobe")))
		return attach(argv[i], argv[i + 1], argv[i + 2], argv[i + 3]);
	if (argc - i == 3 && !strcmp(argv[i], "fentry"))
		return attach(argv[i], argv[i + 1], NULL, argv[i + 2]);
	if (argc - i == 3 && !strcmp(argv[i], "probe"))
		return probe(argv[i + 1], argv[i + 2]);
	usage(stderr);
	return 2;
}
