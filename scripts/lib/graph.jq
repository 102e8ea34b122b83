# SPDX-License-Identifier: GPL-2.0
# scripts/graph.sh's model and renderers (jq 1.6). Input: the raw document scripts/lib/graph.sh
# collects from bpftool, pinfill, mapprogs and /proc. Every edge points from the holder of a
# reference to the object it holds: pin -> object, device/cgroup -> attached program, link ->
# program, program -> map it uses, prog array -> program in a slot, map-of-maps -> inner map,
# sockmap -> its verdict program, process -> object it has an fd of.

def under($d): . == $d or startswith($d + "/");
def set: map({key: tostring, value: true}) | from_entries;
def byid: map({key: (.id | tostring), value: .}) | from_entries;

# What is reached from the pins under .dir: ids of programs, maps and links.
def scope:
  . as $r
  | (.pins | set) as $pinset
  | (.maps | map(.id)) as $pmaps
  | ($pmaps | set) as $pmapset
  | [.links[] | select(any(.pinned[]?; $pinset[.]))] as $plinks
  | ([.progs[] | select(any(.pinned[]?; $pinset[.])) | .id]
     + [.slots[] | select(.holds == "prog") | .entries[].id]
     + [.sockmap[] | .progs[].id]
     + [$plinks[].prog_id]
     # a program whose pin is gone is still reached through the maps it shares with the lab
     + [.progs[] | select(any(.map_ids[]?; $pmapset[tostring])) | .id]) as $p0
  | ($p0 | set) as $pset
  | ([.progs[] | select($pset[.id | tostring])]) as $progs
  | {progs: ($p0 | unique),
     maps: ($pmaps + [$progs[].map_ids[]?] + [.slots[] | select(.holds == "map") | .entries[].id] | unique),
     links: ([$plinks[].id] + [.links[] | select($pset[.prog_id | tostring]) | .id] | unique)};

# Map ids in scope that no pin reaches but a process holds an fd of: the only maps opened by id
# (a prog array with no pin and no fd may be waiting for its flush; see PITFALLS).
def maps_to_open:
  scope.maps as $m
  | (.maps | map(.id) | set) as $known
  | ([.slots[] | .entries[]] | map(.id) | set) as $inner
  | [.fds[] | select(.kind == "map") | .id] as $held
  | [$m[] | select(($known[tostring] | not) and ($inner[tostring] | not) and (IN($held[])))] | unique;

def nodeid($kind; $id): "\($kind):\($id)";

def model:
  . as $r
  | scope as $s
  | ($s.progs | set) as $ps | ($s.maps | set) as $ms | ($s.links | set) as $ls
  | (.progs | byid) as $P
  | ((.maps + .extra_maps) | byid) as $M
  | ([.slots[] | select(.holds == "map") | .entries[]] | byid) as $I
  | (.links | byid) as $L
  | [ ($s.progs[] | $P[tostring] | {id: nodeid("prog"; .id), kind: "prog", oid: .id, name, type, pins: (.pinned // [] | unique)}),
      ($s.maps[] | tostring as $k
        | if $M[$k] then $M[$k] | {id: nodeid("map"; .id), kind: "map", oid: .id, name, type, max_entries, pins: (.pinned // [] | unique)}
          elif $I[$k] then $I[$k] | {id: nodeid("map"; .id), kind: "map", oid: .id, name, type, pins: []}
          else {id: nodeid("map"; $k), kind: "map", oid: ($k | tonumber), name: null, type: null, pins: [],
                note: "not opened: no pin, no fd, only programs hold it"} end),
      ($s.links[] | $L[tostring] | {id: nodeid("link"; .id), kind: "link", oid: .id, type, pins: (.pinned // [] | unique),
        attach: ([(.attach_type // empty), (if .ifindex then "ifindex \(.ifindex)" else empty end),
                  (if .cgroup_id then "cgroup id \(.cgroup_id)" else empty end)] | join(" "))})
    ] as $objs
  | [ ($objs[] | . as $o | .pins[] | {from: nodeid("pin"; .), to: $o.id, label: "pin"}),
      ($r.net[] | .ns as $ns
        | ((.xdp // [])[] | select($ps[.id | tostring])
            | {from: nodeid("dev"; "\($ns)/\(.devname)"), to: nodeid("prog"; .id), label: "xdp \(.mode)", dev: .devname, ns: $ns}),
          ((.tc // [])[] | select($ps[.id | tostring])
            | {from: nodeid("dev"; "\($ns)/\(.devname)"), to: nodeid("prog"; .id), label: "tc \(.kind)", dev: .devname, ns: $ns})),
      ($r.cgroups[] | .cgroup as $cg | .programs[] | select($ps[.id | tostring])
        | {from: nodeid("cgroup"; $cg), to: nodeid("prog"; .id), label: .attach_type}),
      ($r.sockmap[] | .map as $m | .progs[] | {from: nodeid("map"; $m), to: nodeid("prog"; .id), label: .attach_type}),
      ($r.slots[] | .map as $m | .holds as $h | .entries[] | {from: nodeid("map"; $m), to: nodeid($h; .id), label: "slot \(.key)"}),
      ($s.progs[] | $P[tostring] | .id as $p | (.map_ids // [])[] | {from: nodeid("prog"; $p), to: nodeid("map"; .), label: "uses"}),
      ($s.links[] | $L[tostring] | {from: nodeid("link"; .id), to: nodeid("prog"; .prog_id), label: "link"}),
      ($r.fds[] | select({prog: $ps, map: $ms, link: $ls}[.kind][.id | tostring])
        | {from: nodeid("proc"; .pid), to: nodeid(.kind; .id), label: "fd \(.fd)", comm})
    ] | unique as $edges
  | {dir: $r.dir, objects: $objs, edges: $edges,
     procs: ([$edges[] | select(.comm) | {key: (.from | sub("^proc:"; "")), value: .comm}] | from_entries)};

# One line naming a node, from its id and the graph (for the names of objects and processes).
def name_of($g):
  . as $id | ($id | sub(":.*"; "")) as $kind | ($id | sub("^[a-z]+:"; "")) as $rest | $g.objects as $objs
  | if $kind == "pin" then "pin \($rest)"
    elif $kind == "dev" then ($rest | split("/")) as $d | "device \($d[1:] | join("/"))" + (if $d[0] == "" then "" else " (netns \($d[0]))" end)
    elif $kind == "cgroup" then "cgroup \($rest)"
    elif $kind == "proc" then "process \($rest) \($g.procs[$rest] // "?")"
    else ([$objs[] | select(.id == $id)][0]) as $o
      | "\($kind) \($rest)" + (if $o.name then " \($o.name)" elif $kind == "link" then " \($o.type)" else " ?" end)
    end;

def count($n; $what): "\($n) \($what)" + (if $n == 1 then "" else "s" end);

def describe:
  if .kind == "prog" then .type
  elif .kind == "map" then (if .type then .type + (if .max_entries then ", \(.max_entries) " + (if .max_entries == 1 then "entry" else "entries" end) else "" end) else "(\(.note))" end)
  else .attach
  end;

# "3 programs, 5 maps, 0 links, 8 pins"
def summary:
  [count([.objects[] | select(.kind == "prog")] | length; "program"), count([.objects[] | select(.kind == "map")] | length; "map"),
   count([.objects[] | select(.kind == "link")] | length; "link"), count([.edges[] | select(.label == "pin")] | length; "pin")] | join(", ");

# The text form: one section per program, map and link; "<-" lines name what holds a
# reference to it, "->" lines what it holds. Lines sort the same way on every run.
def text:
  . as $g
  | .objects as $objs
  | ["# objects reached from the pins under \(.dir)",
     "# <- holds a reference to it    -> it holds a reference to",
     ( ["prog", "map", "link"][] as $k | [$objs[] | select(.kind == $k)] | sort_by(.oid)[]
       | .id as $id
       | "\($id | name_of($g))" + (describe | if . == "" then "" else "  " + . end),
         ([$g.edges[] | select(.to == $id)]
           | sort_by(.from | [(test("^pin:") | not), (test("^(dev|cgroup):") | not), .])[]
           | "  <- \(.from | name_of($g))" + (if .label == "pin" then "" else "  [\(.label)]" end)),
         ([$g.edges[] | select(.from == $id)] | sort_by(.to | [sub("[0-9]+$"; ""), (sub("^[a-z]+:"; "") | tonumber? // 0)])[]
           | "  -> \(.to | name_of($g))  [\(.label)]") ),
     "# " + summary
    ] | .[];

# graphviz: programs boxes, maps cylinders, links hexagons, pins notes, attach points green.
def dot:
  . as $g
  | .objects as $objs
  | ([.edges[] | .from, .to] + [$objs[].id] | unique) as $nodes
  | {prog: "shape=box style=\"rounded,filled\" fillcolor=\"#cfe2ff\"",
     map: "shape=cylinder style=filled fillcolor=\"#fff3cd\"",
     link: "shape=hexagon style=filled fillcolor=\"#e2d9f3\"",
     pin: "shape=note style=filled fillcolor=\"#f1f3f5\"",
     dev: "shape=component style=filled fillcolor=\"#d1e7dd\"",
     cgroup: "shape=folder style=filled fillcolor=\"#d1e7dd\"",
     proc: "shape=house style=filled fillcolor=\"#f8d7da\""} as $style
  | "digraph bpflab {",
    "  rankdir=LR; fontname=Helvetica; fontsize=12; labelloc=t;",
    "  label=\("bpflab objects reached from \(.dir)  (arrow: holder -> held)" | @json);",
    "  node [fontname=Helvetica fontsize=10]; edge [fontname=Helvetica fontsize=9];",
    ($nodes[] | . as $id | (sub(":.*"; "")) as $k | ([$objs[] | select(.id == $id)][0]) as $o
      | "  \($id | @json) [\($style[$k]) label=\((if $o then "\($k) \($o.oid)\n\($o.name // $o.type // "?")\n\($o | describe)" elif $k == "pin" then "pin\n\($id | sub("^pin:"; "") | ltrimstr($g.dir + "/"))"
        else ($id | name_of($g) | sub(" "; "\n")) end) | @json)];"),
    (.edges[] | "  \(.from | @json) -> \(.to | @json) [label=\(.label | @json)"
      + (if .label == "uses" then " style=dashed color=gray40" elif .label == "pin" then " color=gray50" else " penwidth=1.6" end) + "];"),
    "}";
