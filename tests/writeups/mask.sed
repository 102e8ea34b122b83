# The masking rules for write-up outputs (tests/writeups/run.sh): what legitimately varies
# between runs is replaced by a placeholder, in both the real and the shown output, before
# they are compared. One rule a line; the write-ups may show any real value in these places.
# Program, map, link, BTF ids and the numbered first line of bpftool's plain output
s/^[0-9]+: /ID: /
s/\b(id|btf_id|prog_id|map_id|link_id|inner_map_id|prog id|map id) [0-9]+/\1 ID/g
s/\bmap_ids [0-9,]+/map_ids IDS/g
s/"(id|btf_id|prog_id|map_id|link_id)": [0-9]+/"\1": ID/g
s/\(([0-9]+)\) (driver|generic) id/(IFINDEX) \2 id/g
s/^([A-Za-z0-9_.-]+)\([0-9]+\)/\1(IFINDEX)/
# The JIT's output size: the x86 JIT writes each indirect jump (a tail call's) the way the CPU's
# Spectre mitigation needs (retpoline, lfence, plain), so it differs between an AMD and an
# Intel machine of the same kernel (1051 B and 1045 B for xdp_drop_ping). xlated is not masked.
s/\bjited [0-9]+B/jited NB/
# A map's memlock: kernels count it differently (6.18: the map's own bytes, 352B for a 5-slot
# prog array; Debian's 6.1: whole pages, 4096B; lab 2's sockhash 1048960B and 2097152B).
s/\bmemlock [0-9]+B/memlock NB/
# Tags, timestamps, MAC addresses, pids
s/\btag [0-9a-f]{16}/tag TAG/g
s/loaded_at [0-9T:+-]+/loaded_at TIME/g
s/([0-9a-f]{2}:){5}[0-9a-f]{2}/MAC/g
s/\(([0-9]+)\)$/(PID)/
# ping and tcpdump timings, TCP sequence numbers and timestamps
s/time=[0-9.]+ ms/time=T ms/g
s/, time [0-9]+ms$/, time Tms/
s/^rtt min\/avg\/max\/mdev = .*/rtt SUMMARY/
s/^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+ /TS /
s/seq [0-9]+(:[0-9]+)?/seq SEQ/g
s/ack [0-9]+/ack ACK/g
s/win [0-9]+/win WIN/g
s/options \[[^]]*\]/options [...]/g
# Ephemeral client ports (32768-60999) on loopback
s/127\.0\.0\.1\.(3[2-9][0-9]{3}|[45][0-9]{4}|60[0-9]{3})\b/127.0.0.1.EPHEMERAL/g
# The cgroup2 mount point: /sys/fs/cgroup on most systems (Debian's 6.1 VM), unified/ below it
# on the machine CI runs on (lab2.md says so where it finds the mount)
s#/sys/fs/cgroup/unified/#/sys/fs/cgroup/#g
# Temporary files
s#/tmp/tmp\.[A-Za-z0-9]+#/tmp/TMP#g
s/duration( \(average\))?: [0-9]+ns/duration\1: Nns/
s/get (map )?by id \([0-9]+\)/get \1by id (ID)/
# bpftool cgroup show: the program id in the first column
s/^[0-9]+ +(cgroup_[a-z_]+|sock_ops|sk_msg)/ID \1/
# scripts/graph.sh: "prog ID name", "map ID name"
s/\b(prog|map|link) [0-9]+ /\1 ID /g
# bpftool's run statistics appear while anything on the machine has kernel.bpf_stats_enabled on
s/ run_time_ns [0-9]+ run_cnt [0-9]+//
# lab2.sh demo: the total packet count varies with delayed ACKs (SYN, FIN and payload do not)
s/: [0-9]+ packets on lo:/: N packets on lo:/
# A 4-byte value of 256 or more in a `bpftool map dump` line: a program or map id held by a
# prog array or a map-in-map (the labs' own 4-byte config values are all below 256):
# values below 256 are marked, the others masked, the marks undone
s/^(key: ([0-9a-f]{2} )*[0-9a-f]{2}  value: [0-9a-f]{2}) 00 00 00$/\1 _0 _0 _0/
s/^(key: ([0-9a-f]{2} )*[0-9a-f]{2}  value: )([0-9a-f]{2} ){3}[0-9a-f]{2}$/\1ID4/
s/ _0 _0 _0$/ 00 00 00/
# build/xdpcap's "filtered" counts: the peer's IPv6 router solicitations and MLD reports
# reach the capture programs at times of their own
s/\b[0-9]+ filtered/N filtered/g
# build/pinfill fill and list: "KEY<tab>ID<tab>..." (the id of the program or map in the slot)
s/^([0-9a-f][0-9a-f ]*)\t[0-9]+\t/\1\tID\t/
# build/glbtable fill: the new inner map's id and the times of its three steps
s/map id ID -> [0-9]+/map id ID -> ID/
s/rows [0-9.]+ ms, new map filled in [0-9.]+ ms, swapped in [0-9.]+ ms/rows T ms, new map filled in T ms, swapped in T ms/
# bpftool prog dump xlated: a bpf2bpf call names its target by the callee's tag
s/bpf_prog_[0-9a-f]{16}_/bpf_prog_TAG_/g
# bpftool link show: the program id of a perf_event link
s/^(ID: [a-z_]+ +prog) [0-9]+/\1 ID/
