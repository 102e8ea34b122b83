# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The report of the benchmark harness: raw.csv -> summary.csv, summary.json, report.md and
# the plots. Rebuilt after every benchmark, so an interrupted run keeps what it measured.
#
# raw.csv     bench,metric,case,param,variant,role,run,value,unit  (one line per measurement)
# summary.csv bench,metric,case,param,variant,role,unit,n,median,p99,min,max,ratio,ratio_q1,ratio_q3,ratio_n
#   ratio: median over runs of value(variant, run i) / value(baseline, run i) -- the pairs
#   were measured next to each other; ratio_q1..q3 is the interquartile range of those ratios.
#   p99 only where a group has 100 values or more (otherwise it would just be the maximum).

# shellcheck disable=SC2034 # used by bench.sh
RAW_HEADER="bench,metric,case,param,variant,role,run,value,unit"
SUM_HEADER="bench,metric,case,param,variant,role,unit,n,median,p99,min,max,ratio,ratio_q1,ratio_q3,ratio_n"

# Statistics of groups: stdin "ORDER,KEY...,VALUE" sorted by ORDER then VALUE (numeric);
# prints "KEY...,n,median,p99,min,max,q1,q3" per group. NK = number of key fields.
group_stats() { # NK
	awk -F, -v nk="$1" '
	function flush(   m, p) {
		if (n == 0) return
		m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		p = (n >= 100) ? v[rank(0.99)] : ""
		print key "," n "," m "," p "," v[1] "," v[n] "," v[rank(0.25)] "," v[rank(0.75)]
	}
	function rank(q,   r) { r = int(q * n); if (r < q * n) r++; if (r < 1) r = 1; return r }
	{
		k = $2; for (i = 3; i <= nk + 1; i++) k = k "," $i
		if (k != key) { flush(); key = k; n = 0 }
		v[++n] = $(nk + 2)
	}
	END { flush() }'
}

summarize() { # RAW SUMMARY
	local raw=$1 out=$2 tmp
	tmp=$(mktemp -d)
	# Groups keep the order in which they were first measured.
	awk -F, 'NR > 1 { g = $1 "," $2 "," $3 "," $4 "," $5 "," $6 "," $9; if (!(g in o)) o[g] = ++n
		printf "%06d,%s,%s\n", o[g], g, $8 }' "$raw" | sort -t, -k1,1n -k9,9g | group_stats 7 >"$tmp/stats"
	# Paired ratios to the baseline of the same bench,metric,case,param and run.
	awk -F, 'NR == FNR { if ($6 == "base") b[$1 "," $2 "," $3 "," $4 "," $7] = $8; next }
		FNR > 1 && $6 != "base" { k = $1 "," $2 "," $3 "," $4 "," $7
			if ((k in b) && b[k] + 0 != 0) { g = $1 "," $2 "," $3 "," $4 "," $5
				if (!(g in o)) o[g] = ++n; printf "%06d,%s,%s\n", o[g], g, $8 / b[k] } }' "$raw" "$raw" |
		sort -t, -k1,1n -k7,7g | group_stats 5 >"$tmp/ratios"
	{
		echo "$SUM_HEADER"
		# FILENAME, not NR == FNR: the ratios file is empty when nothing has a baseline.
		awk -F, 'FILENAME == ARGV[1] { r[$1 "," $2 "," $3 "," $4 "," $5] = $7 "," $11 "," $12 "," $6; next }
			{ k = $1 "," $2 "," $3 "," $4 "," $5
			  print $1 "," $2 "," $3 "," $4 "," $5 "," $6 "," $7 "," $8 "," $9 "," $10 "," $11 "," $12 "," ((k in r) ? r[k] : ",,,") }' \
			"$tmp/ratios" "$tmp/stats"
	} >"$out"
	rm -rf "$tmp"
}

# summary.csv -> JSON: {header: {...}, status, rows: [...], skipped: [...]}
summary_json() { # SUMMARY HEADER_TSV SKIPPED_TSV STATUS
	jq -n --rawfile s "$1" --rawfile h "$2" --rawfile k "$3" --arg status "$4" '
		def num: if . == "" then null else (tonumber? // .) end;
		($s | split("\n") | map(select(length > 0)) | map(split(","))) as $rows
		| {status: $status,
		   header: ($h | split("\n") | map(select(length > 0) | split("\t") | {(.[0]): .[1]}) | add),
		   rows: [$rows[1:][] as $r | [$rows[0], $r] | transpose | map({(.[0]): (.[1] | num)}) | add],
		   skipped: ($k | split("\n") | map(select(length > 0) | split("\t") | {bench: .[0], reason: .[1]}))}'
}

# A number for a table: 3 significant digits below 1000, whole above.
fmt() { awk -v v="$1" 'BEGIN { if (v == "") print "-"; else if (v + 0 >= 1000 || v + 0 <= -1000) printf "%.0f", v; else printf "%.3g", v }'; }

# The summary table of one bench (optionally one metric) in markdown.
md_table() { # BENCH [METRIC]
	echo "| metric | case | param | variant | n | median | p99 | min | max | unit | ratio to baseline [IQR] |"
	echo "|---|---|---|---|--:|--:|--:|--:|--:|---|---|"
	awk -F, -v b="$1" -v m="${2:-}" 'NR > 1 && $1 == b && (m == "" || $2 == m)' "$SUMMARY" |
		while IFS=, read -r _ metric case param variant role unit n med p99 min max r rq1 rq3 _; do
			local rat="-"
			if [ "$role" = base ]; then rat="baseline"; elif [ -n "$r" ]; then rat="$(fmt "$r")× [$(fmt "$rq1")–$(fmt "$rq3")]"; fi
			printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$metric" "$case" "$param" "$variant" "$n" \
				"$(fmt "$med")" "$(fmt "$p99")" "$(fmt "$min")" "$(fmt "$max")" "$unit" "$rat"
		done
}

# Median of one summary cell (empty if absent).
sum_get() { # BENCH METRIC CASE PARAM VARIANT [FIELD=median|ratio|min|max|p99]
	local col
	case ${6:-median} in median) col=9 ;; p99) col=10 ;; min) col=11 ;; max) col=12 ;; ratio) col=13 ;; n) col=8 ;; esac
	awk -F, -v b="$1" -v m="$2" -v c="$3" -v p="$4" -v v="$5" -v col="$col" \
		'$1 == b && $2 == m && $3 == c && $4 == p && $5 == v { print $col; exit }' "$SUMMARY"
}

# gnuplot, if installed: SCRIPT on stdin, PNG to $OUT/NAME.png; the report links it.
plot() { # NAME TITLE
	command -v gnuplot >/dev/null || {
		echo "_(plot $1.png not drawn: gnuplot not found, Debian package gnuplot-nox)_"
		echo
		return 0
	}
	{
		echo "set terminal png size 900,500 font ',10' noenhanced; set output '$OUT/$1.png'; set title '$2'; set grid; set key top left"
		cat
	} | gnuplot 2>>"$OUT/gnuplot.log" || {
		echo "_(plot $1.png failed: see gnuplot.log)_"
		echo
		return 0
	}
	echo "![$2]($1.png)"
	echo
}

# Data for gnuplot: "param median min max" rows of one variant, numeric params only.
plot_data() { # BENCH METRIC CASE VARIANT FILE
	awk -F, -v b="$1" -v m="$2" -v c="$3" -v v="$4" '$1 == b && $2 == m && $3 == c && $5 == v && $4 ~ /^[0-9.]+$/ { print $4, $9, $11, $12 }' "$SUMMARY" | sort -g >"$5"
}

report_build() { # STATUS (complete | partial: REASON)
	local status=$1 b
	summarize "$RAW" "$SUMMARY"
	touch "$OUT/skipped.tsv"
	summary_json "$SUMMARY" "$OUT/header.tsv" "$OUT/skipped.tsv" "$status" >"$OUT/summary.json"
	{
		echo "# bpflab benchmarks"
		echo
		if [ "$status" = complete ]; then echo "**Status: complete.**"; else echo "**Status: PARTIAL — ${status#partial: }.** Only what was measured before that is below."; fi
		echo
		echo "| | |"
		echo "|---|---|"
		awk -F'\t' '{ printf "| %s | %s |\n", $1, $2 }' "$OUT/header.tsv"
		echo
		echo "How to read this: every comparison ran interleaved in this one run (A, B, B, A, ...)."
		echo "n = runs; median, min, max over the runs; p99 only for groups of 100+ values. The ratio is"
		echo "the median of the per-run ratios variant / baseline (each pair measured back to back),"
		echo "with the interquartile range of those ratios in brackets. Raw data: raw.csv; summary.csv"
		echo "and summary.json hold these tables. Other test suites may have shared the 2 CPUs."
		echo
		for b in $RAN; do
			echo "## $(bench_title "$b")"
			echo
			[ ! -f "$OUT/notes/$b.md" ] || cat "$OUT/notes/$b.md"
			if grep -q "^$b	" "$OUT/skipped.tsv"; then
				awk -F'\t' -v b="$b" '$1 == b { print "- skipped: " $2 }' "$OUT/skipped.tsv"
				echo
			fi
			if grep -q "^$b," "$SUMMARY"; then
				if declare -F "table_$b" >/dev/null; then "table_$b"; else
					md_table "$b"
					echo
				fi
				! declare -F "report_$b" >/dev/null || "report_$b"
			fi
		done
		if [ -s "$OUT/skipped.tsv" ]; then
			echo "## Skipped"
			echo
			awk -F'\t' '{ print "- " $1 ": " $2 }' "$OUT/skipped.tsv"
			echo
		fi
	} >"$OUT/report.md.tmp"
	mv "$OUT/report.md.tmp" "$OUT/report.md"
}

# Paired differences B - A of two variants, run by run: "median q1 q3 n" (empty if none).
paired_diff() { # BENCH METRIC CASE PARAM VARIANT_A VARIANT_B
	awk -F, -v b="$1" -v m="$2" -v c="$3" -v p="$4" -v va="$5" -v vb="$6" '
		$1 == b && $2 == m && $3 == c && $4 == p && $5 == va { a[$7] = $8 }
		$1 == b && $2 == m && $3 == c && $4 == p && $5 == vb { x[$7] = $8 }
		END { for (r in x) if (r in a) print "000001,d," x[r] - a[r] }' "$RAW" | sort -t, -k3,3g | group_stats 1 |
		awk -F, '{ print $3, $7, $8, $2 }'
}

# Least-squares line through "x y" lines on stdin: prints "slope intercept".
linfit() {
	awk '{ n++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2 }
		END { d = n * sxx - sx * sx; if (n < 2 || d == 0) { print "- -"; exit }
			s = (n * sxy - sx * sy) / d; printf "%.3g %.3g\n", s, (sy - s * sx) / n }'
}

# One table per metric and case for sweeps: a row per param, a column per variant;
# cells "median (min–max)" and, for variants, "×ratio [IQR]" to the baseline.
md_pivot() { # BENCH METRIC CASE PARAM_LABEL
	awk -F, -v b="$1" -v m="$2" -v c="$3" -v pl="$4" '
	function f(v) { if (v == "") return "-"; if (v + 0 >= 1000) return sprintf("%.0f", v); return sprintf("%.3g", v) }
	$1 == b && $2 == m && $3 == c {
		if (!($5 in vi)) { vi[$5] = ++nv; vn[nv] = $5 }
		if (!($4 in pi)) { pi[$4] = ++np; pn[np] = $4 }
		cell = f($9) " (" f($11) "–" f($12) ")"
		if ($13 != "") cell = cell " ×" sprintf("%.2f", $13) " [" sprintf("%.2f", $14) "–" sprintf("%.2f", $15) "]"
		if ($6 == "base") cell = cell " (baseline)"
		t[$4, $5] = cell; unit = $7; n = $8
	}
	END {
		if (!np) exit
		printf "%s, %s (%s; median (min–max) of %s runs; ×ratio [IQR] to the baseline):\n\n", m, c, unit, n
		h = "| " pl " |"; s = "|--:|"
		for (i = 1; i <= nv; i++) { h = h " " vn[i] " |"; s = s "---|" }
		print h; print s
		for (j = 1; j <= np; j++) { r = "| " pn[j] " |"; for (i = 1; i <= nv; i++) r = r " " ((pn[j], vn[i]) in t ? t[pn[j], vn[i]] : "-") " |"; print r }
		print ""
	}' "$SUMMARY"
}
