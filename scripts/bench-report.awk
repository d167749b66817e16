# The tables and goals of "make bench" (scripts/bench), from the guest's
# output (scripts/bench-guest.sh): RESULT, TIMES, STATS, BASE, CLOCK,
# CRIU_NA, NOTE and HOST lines. Variables: rc (vm-run's exit status), logf
# (the log file), reps.

function num(x) { return x != "-" && x != "" }
function ms(x) { return num(x) ? sprintf("%.1f", x * 1000) : "-" }
function mib(x) { return num(x) ? sprintf("%.1f", x / 1048576) : "-" }
function ratio(a, b) { return num(a) && num(b) && b > 0 ? sprintf("%.2f", a / b) : "-" }
function perproc(t, n) { return num(t) ? sprintf("%.2f", t * 1000 / n) : "-" }
function usms(x) { return num(x) ? sprintf("%.1f", x / 1000) : "-" }

# median of the values of statistic KEY of WL's WHAT runs ("-": none)
function stat(wl, what, key,    n, i, j, v, t) {
	n = sn[wl, what, key]
	if (!n)
		return "-"
	for (i = 1; i <= n; i++)
		v[i] = sv[wl, what, key, i] + 0
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	return v[int((n + 1) / 2)]
}
function stat0(wl, what, key,    v) { v = stat(wl, what, key); return num(v) ? v : 0 }

# a result field of workload WL ("-" when not measured)
function res(wl, key) { return (wl in idx) && r[idx[wl], "cr"] == "ok" ? r[idx[wl], key] : "-" }
function cres(wl, key) { return (wl in idx) && r[idx[wl], "criu"] == "ok" ? r[idx[wl], key] : "-" }

# one goal line: WHAT, the figure (a string), met (1/0) or unmeasured (-1)
function goal(what, figure, met) {
	ngoals++
	if (met < 0) {
		printf "  %-9s %s: not measured (%s)\n", "n/a", what, figure
		return
	}
	nmet += met
	printf "  %-9s %s: %s\n", met ? "met" : "NOT MET", what, figure
}
# goal "A <= LIMIT x B" (or ">=" with ge()) on two figures
function cmp(what, a, b, limit, unit, atleast,    rt) {
	if (!num(a) || !num(b) || b <= 0) {
		goal(what, "missing figures", -1)
		return
	}
	rt = a / b
	goal(what, sprintf("%.2fx (%s vs %s %s)", rt, fmtv(a, unit), fmtv(b, unit), unit),
	     atleast ? rt >= limit : rt <= limit)
}
function le(what, a, b, limit, unit) { cmp(what, a, b, limit, unit, 0) }
function ge(what, a, b, limit, unit) { cmp(what, a, b, limit, unit, 1) }
function fmtv(x, unit) { return unit == "ms" ? sprintf("%.1f", x * 1000) : sprintf("%.3g", x) }

{ sub(/\r$/, "") }
/^RESULT / {
	n++
	for (i = 2; i <= NF; i++) {
		k = $i; sub(/=.*/, "", k)
		v = $i; sub(/^[^=]*=/, "", v)
		r[n, k] = v
	}
	idx[r[n, "workload"]] = n
	next
}
/^STATS / {
	wl = $2; what = $3
	for (i = 4; i <= NF; i++) {
		k = $i; sub(/=.*/, "", k)
		v = $i; sub(/^[^=]*=/, "", v)
		if (k == "" || v == $i)
			continue
		sv[wl, what, k, ++sn[wl, what, k]] = v
	}
	next
}
/^BASE / {
	for (i = 2; i <= NF; i++) {
		k = $i; sub(/=.*/, "", k)
		v = $i; sub(/^[^=]*=/, "", v)
		base[k] = v
	}
	next
}
/^HOST / { sub(/^HOST other_cpu_pct=/, ""); hostcpu = $0; next }
/^CLOCK / { clock = $2; if ($3 != $2) clock = $2 " then " $3; next }
/^CRIU_NA / { sub(/^CRIU_NA /, ""); criu = $0; next }
/^NOTE kernel / { sub(/^NOTE /, ""); kern = $0; next }
/^NOTE criu: criu Version/ || /^NOTE criu: Version/ { sub(/^NOTE criu: /, ""); criuver = $0; next }
END {
	if (!n) {
		print "bench: no results (vm-run exit " rc ")"
		exit 1
	}
	print ""
	print "linux-cr checkpoint/restart in the VM (" kern "; QEMU TCG: compare ratios, not absolute times)"
	print "times in ms: median of the runs (min: the fastest); ckpt = checkpoint --freeze-cgroup (freeze, checkpoint, thaw);"
	print "frozen = freeze to thaw (tool); tmpfs-wr = write(2) of the workload's bytes to tmpfs; rd-fresh = read(2) of the image into fresh memory"
	if (clock != "tsc")
		print "WARNING: guest clocksource " clock ": times may be in 4 ms steps"
	if (hostcpu + 0 > 5)
		print "WARNING: other host processes used " hostcpu "% of a core during the run: figures disturbed"
	print ""
	fmt = "%-18s %7s %8s %8s %8s %8s %8s %7s %8s %8s %6s %6s %6s %7s %7s\n"
	printf fmt, "workload", "image", "ckpt>", "min", "ckpt>", "restart", "min", "frozen", "tmpfs-wr", \
		"rd-fresh", "file/", "rst/", "rst/", "ckpt", "restart"
	printf fmt, "", "MiB", "file", "", "null", "", "", "", "", "", "wr", "wr", "ckpt", "ms/proc", "ms/proc"
	for (i = 1; i <= n; i++) {
		wl = r[i, "workload"]
		if (r[i, "cr"] != "ok") {
			printf "%-18s %s\n", wl, r[i, "cr"] " (see the errors above)"
			continue
		}
		frozen = stat(wl, "ckpt_file", "frozen")
		printf fmt, wl, mib(r[i, "img"]), ms(r[i, "ckpt_file"]), ms(r[i, "ckpt_file_min"]), \
			ms(r[i, "ckpt_null"]), ms(r[i, "restart"]), ms(r[i, "restart_min"]), \
			usms(frozen), ms(r[i, "tmpfs_write"]), ms(r[i, "read_fresh"]), \
			ratio(r[i, "ckpt_file"], r[i, "tmpfs_write"]), ratio(r[i, "restart"], r[i, "tmpfs_write"]), \
			ratio(r[i, "restart"], r[i, "ckpt_file"]), \
			perproc(r[i, "ckpt_file"], r[i, "n"]), perproc(r[i, "restart"], r[i, "n"])
	}

	print ""
	print "where the time goes (ms, medians of the kernel's statistics; \"other\" = the rest of the system call)"
	fmt = "%-18s %7s %7s %7s %7s %8s %7s %7s %7s %7s %9s %9s %7s\n"
	printf fmt, "checkpoint>file", "syscall", "collect", "tree", "mm", "scan", "pg-io", "files", "other", \
		"writes", "pg-saved", "pg-skip", "vma-skp"
	for (i = 1; i <= n; i++) {
		wl = r[i, "workload"]
		if (r[i, "cr"] != "ok")
			continue
		w = "ckpt_file"
		other = stat0(wl, w, "total") - stat0(wl, w, "collect") - stat0(wl, w, "tree")
		split("ns ipc cred mm files fs signals cpu", parts, " ")
		for (p in parts)
			other -= stat0(wl, w, parts[p])
		printf fmt, wl, usms(stat(wl, w, "total")), usms(stat(wl, w, "collect")), usms(stat(wl, w, "tree")), \
			usms(stat(wl, w, "mm")), usms(stat(wl, w, "scan")), usms(stat(wl, w, "pages_io")), \
			usms(stat(wl, w, "files")), usms(other), stat(wl, w, "io_calls"), \
			stat(wl, w, "pages_saved"), stat(wl, w, "pages_skipped"), stat(wl, w, "vmas_skipped")
	}
	print ""
	fmt = "%-18s %7s %7s %7s %7s %8s %7s %8s %7s %7s %7s %7s %7s %7s %7s %7s %7s %6s\n"
	printf fmt, "restart", "tool", "load", "forest", "syscall", "prologue", "join", "tasks", "max", \
		"handoff", "mm", "mm-clr", "vmas", "pg-alloc", "pg-io", "pg-map", "files", "reads"
	for (i = 1; i <= n; i++) {
		wl = r[i, "workload"]
		if (r[i, "cr"] != "ok")
			continue
		w = "restart"
		tool = num(stat(wl, w, "load")) ? stat0(wl, w, "load") + stat0(wl, w, "forest") + stat0(wl, w, "restart") : "-"
		printf fmt, wl, usms(tool), usms(stat(wl, w, "load")), usms(stat(wl, w, "forest")), \
			usms(stat(wl, w, "total")), usms(stat(wl, w, "prologue")), usms(stat(wl, w, "join")), \
			usms(stat(wl, w, "tasks")), usms(stat(wl, w, "task_max")), usms(stat(wl, w, "handoff")), \
			usms(stat(wl, w, "mm")), usms(stat(wl, w, "mm_clear")), usms(stat(wl, w, "vmas")), \
			usms(stat(wl, w, "pages_alloc")), usms(stat(wl, w, "pages_io")), \
			usms(stat(wl, w, "pages_map")), usms(stat(wl, w, "files")), stat(wl, w, "io_calls")
	}

	print ""
	print "CRIU on some workloads in the same VM" (criuver != "" ? " (" criuver ")" : "")
	print "dump = criu dump -t PID -D DIR (kills the tree); restore = criu restore -D DIR -d; at most 3 runs, 1 for 1000 processes"
	print ""
	fmt = "%-18s %8s %10s %10s %10s %10s\n"
	printf fmt, "workload", "image", "dump", "restore", "dump/", "restore/"
	printf fmt, "", "MiB", "ms", "ms", "ckpt>file", "restart"
	for (i = 1; i <= n; i++) {
		if (r[i, "criu"] == "-")
			continue
		wl = r[i, "workload"]
		if (r[i, "criu"] != "ok") {
			printf "%-18s %s\n", wl, r[i, "criu"] == "n/a" ? \
				"n/a" (criu != "" ? " (" criu ")" : "") : \
				r[i, "criu"] " (the restored workload failed its memory check)"
			continue
		}
		printf fmt, wl, mib(r[i, "criu_img"]), ms(r[i, "criu_dump"]), ms(r[i, "criu_restore"]), \
			ratio(r[i, "criu_dump"], r[i, "ckpt_file"]), ratio(r[i, "criu_restore"], r[i, "restart"])
	}

	print ""
	print "goals (ratios within this run; fork+exit+wait " ms(base["forkexit"]) " ms per process)"
	w = "1x256dirty"
	le("checkpoint 1x256 dirty to a tmpfs file <= 1.15 x tmpfs write", res(w, "ckpt_file"), res(w, "tmpfs_write"), 1.15, "ms")
	le("checkpoint 1x256 dirty to /dev/null <= 0.1 x tmpfs write", res(w, "ckpt_null"), res(w, "tmpfs_write"), 0.1, "ms")
	le("checkpoint 1 GiB sparse (1% touched) <= 1.5 x 10 MiB dense", res("1x1024sparse", "ckpt_file"), res("1x10dirty", "ckpt_file"), 1.5, "ms")
	a = stat("1x16reserve", "ckpt_file", "total"); b = stat("1x16dirty", "ckpt_file", "total")
	if (num(a) && num(b) && num(res("1x16reserve", "ckpt_file")) && num(res("1x16dirty", "ckpt_file")))
		goal("a 64 GiB PROT_NONE reservation adds <= 1 ms (checkpoint system call)", \
		     sprintf("%+.2f ms (%.1f vs %.1f ms)", (a - b) / 1000, a / 1000, b / 1000), a - b <= 1000)
	else
		goal("a 64 GiB PROT_NONE reservation adds <= 1 ms", "missing figures", -1)
	a = stat("1x1024filecow", "ckpt_file", "pages_skipped")
	if (num(res("1x1024filecow", "ckpt_file")))
		goal("1 GiB private file mapping, one COW page: no file page read", \
		     sprintf("%s pages saved, %d looked at and skipped, %.1f ms", stat("1x1024filecow", "ckpt_file", "pages_saved"), a, res("1x1024filecow", "ckpt_file") * 1000), \
		     a + 0 < 1000)
	else
		goal("1 GiB private file mapping, one COW page: no file page read", "missing figures", -1)
	le("restart 1x256 dirty <= 1.2 x tmpfs write", res(w, "restart"), res(w, "tmpfs_write"), 1.2, "ms")
	le("restart 1x256 dirty <= 0.8 x reading the image into fresh memory", res(w, "restart"), res(w, "read_fresh"), 0.8, "ms")
	worst = 0; wn = ""; cnt = 0; bad = 0
	for (i = 1; i <= n; i++) {
		if (r[i, "cr"] != "ok" || !num(r[i, "ckpt_file"]) || r[i, "ckpt_file"] <= 0)
			continue
		rt = r[i, "restart"] / r[i, "ckpt_file"]
		cnt++
		if (rt > 1.2)
			bad++
		if (rt > worst) {
			worst = rt; wn = r[i, "workload"]
		}
	}
	goal("restart / checkpoint <= 1.2 on every workload", \
	     sprintf("worst %.2f (%s); %d of %d workloads above 1.2", worst, wn, bad, cnt), cnt ? bad == 0 : -1)
	w = "1000x0dirty"
	if (num(res(w, "ckpt_file")) && num(base["forkexit"])) {
		le("1000 x 0 MiB: checkpoint per process <= 2 x fork+exit+wait", res(w, "ckpt_file") / 1000, base["forkexit"], 2, "ms")
		le("1000 x 0 MiB: restart per process <= 3 x fork+exit+wait", res(w, "restart") / 1000, base["forkexit"], 3, "ms")
	} else {
		goal("1000 x 0 MiB against fork+exit+wait", "missing figures", -1)
	}
	le("checkpoint 1000x1 / 100x1 <= 11", res("1000x1dirty", "ckpt_file"), res("100x1dirty", "ckpt_file"), 11, "ms")
	le("restart 1000x1 / 100x1 <= 11", res("1000x1dirty", "restart"), res("100x1dirty", "restart"), 11, "ms")
	le("checkpoint of a 1000-deep chain <= 1.5 x the flat 1000x1 tree", res("1000x1chain", "ckpt_file"), res("1000x1dirty", "ckpt_file"), 1.5, "ms")
	le("restart of a 1000-deep chain <= 1.5 x the flat 1000x1 tree", res("1000x1chain", "restart"), res("1000x1dirty", "restart"), 1.5, "ms")
	split("fds vmas", kinds, " ")
	for (k = 1; k <= 2; k++) {
		w = "1x0" kinds[k] "10000"
		mk = (w in idx) ? r[idx[w], "make"] : "-"
		for (j = 0; j < 2; j++) {
			what = j ? "restart" : "ckpt_file"
			a = res(w, what); b = res("1x0dirty", what)
			le(sprintf("10k %s: what they add to a %s <= 2 x making them", kinds[k], j ? "restart" : "checkpoint"), \
			   num(a) && num(b) ? a - b : "-", mk, 2, "ms")
		}
	}
	ge("CRIU dump / checkpoint, 1x256 >= 2", cres("1x256dirty", "criu_dump"), res("1x256dirty", "ckpt_file"), 2, "ms")
	ge("CRIU restore / restart, 1x256 >= 2.5", cres("1x256dirty", "criu_restore"), res("1x256dirty", "restart"), 2.5, "ms")
	ge("CRIU dump / checkpoint, 100x1 >= 10", cres("100x1dirty", "criu_dump"), res("100x1dirty", "ckpt_file"), 10, "ms")
	ge("CRIU restore / restart, 100x1 >= 5", cres("100x1dirty", "criu_restore"), res("100x1dirty", "restart"), 5, "ms")
	ge("CRIU dump / checkpoint, 1000x1 >= 30", cres("1000x1dirty", "criu_dump"), res("1000x1dirty", "ckpt_file"), 30, "ms")
	ge("CRIU restore / restart, 1000x1 >= 15", cres("1000x1dirty", "criu_restore"), res("1000x1dirty", "restart"), 15, "ms")
	# dirty bytes: every page the checkpoint saved (stacks, data, ... too)
	worst = 0; wn = ""; cnt = 0; bad = 0
	for (i = 1; i <= n; i++) {
		wl = r[i, "workload"]
		if (r[i, "cr"] != "ok" || !num(r[i, "img"]) || !num(stat(wl, "ckpt_file", "pages_saved")))
			continue
		dirty = stat(wl, "ckpt_file", "pages_saved") * 4096
		lim = 1.01 * dirty + 8192 * r[i, "n"]
		rt = r[i, "img"] / lim
		cnt++
		if (rt > 1)
			bad++
		if (rt > worst) {
			worst = rt; wn = wl
			over = (r[i, "img"] - dirty) / r[i, "n"] / 1024
		}
	}
	goal("image <= 1.01 x dirty bytes + 8 KiB per process (every workload)", \
	     sprintf("worst %s: %.2f of the limit, %.1f KiB over the dirty bytes per process; %d of %d above", \
		     wn, worst, over, bad, cnt), cnt ? bad == 0 : -1)
	print ""
	printf "goals: %d of %d met\n", nmet, ngoals
	if (rc != 0)
		print "bench: FAILED: the machinery broke (vm-run exit " rc "); see above and " logf
}
