// The live dashboard's page: polls /state.json once a second and plots
// threads, open fds and heap of the leak and fixed programs, then says for
// each signal the case's leak shows whether the leak line rises and the
// fixed line stays flat. Plain SVG, no library: the kit runs offline.
//
// window.leaklabLive holds what the page drew and concluded, so a test can
// read the verdict from the page itself.
"use strict";

(function () {
  const COLUMN = { threads: 1, fds: 2, heap: 3 };
  // How much the leak must rise before the page calls it rising, and how
  // far the fix may move and still be flat, per signal: a leak of a few
  // threads or fds, or 16 KiB of heap, is already plain on the plot; the
  // fix's count is exact at rest (median of the last three samples, so a
  // scrape that met a client in flight does not count). The fix may also
  // move a tenth of what the leak did.
  const MIN_RISE = { threads: 3, fds: 3, heap: 16 * 1024 };
  const FLAT = { threads: 1, fds: 1, heap: 8 * 1024 };
  const SCALE = { threads: 1, fds: 1, heap: 1024 };  // heap is plotted in KiB
  const MIN_TOP = { threads: 10, fds: 10, heap: 256 };
  const W = 640, H = 220, L = 56, R = 70, T = 12, B = 26;
  const SVGNS = "http://www.w3.org/2000/svg";

  const live = { updates: 0, state: null, verdicts: {}, drawn: {}, order: [], error: null };
  window.leaklabLive = live;

  function el(name, attrs, text) {
    const e = document.createElementNS(SVGNS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function median(values) {
    const v = values.slice().sort((a, b) => a - b);
    return v.length ? v[Math.floor(v.length / 2)] : null;
  }

  // The value of one signal at the start (before the load) and now, each
  // the median of up to three samples.
  function ends(rows, col, loadStart) {
    const vals = rows.filter((r) => r[col] !== null);
    if (vals.length === 0) return null;
    let before = vals.filter((r) => loadStart === null || r[0] <= loadStart);
    if (before.length === 0) before = vals.slice(0, 1);
    return {
      start: median(before.slice(-3).map((r) => r[col])),
      now: median(vals.slice(-3).map((r) => r[col])),
      n: vals.length,
    };
  }

  function fmt(signal, v) {
    if (signal === "heap") return (v >= 0 ? "+" : "") + (v / 1024).toFixed(1) + " KiB";
    return (v >= 0 ? "+" : "") + Math.round(v);
  }

  function judge(signal, state) {
    const col = COLUMN[signal];
    const load = state.load;
    const loadStart = load ? load.start : null;
    const leak = ends(state.samples.leak, col, loadStart);
    const fixed = ends(state.samples.fixed, col, loadStart);
    const expected = state.case.expect.includes(signal);
    const v = { expected, rising: false, flat: false, leak_rise: null, fixed_rise: null, text: "" };
    const sinceLoad = load ? state.samples.leak.filter((r) => r[0] > load.start).length : 0;
    if (!leak || !fixed || sinceLoad < 3) {
      v.text = "collecting…";
      return v;
    }
    v.leak_rise = leak.now - leak.start;
    v.fixed_rise = fixed.now - fixed.start;
    v.rising = v.leak_rise >= MIN_RISE[signal];
    v.flat = Math.abs(v.fixed_rise) <= Math.max(FLAT[signal], 0.1 * Math.abs(v.leak_rise));
    const nums = "leak " + fmt(signal, v.leak_rise) + ", fix " + fmt(signal, v.fixed_rise);
    if (!expected) v.text = nums + " (not judged for this case)";
    else if (v.rising && v.flat) v.text = nums + ": the leak rises, the fix stays flat";
    else if (!v.flat) v.text = nums + ": the fixed line moves too";
    else v.text = nums + ": the leak has not risen yet";
    return v;
  }

  function niceTop(v) {
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  function draw(section, signal, state) {
    const svg = section.querySelector("svg");
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const col = COLUMN[signal], scale = SCALE[signal];
    const rows = { leak: state.samples.leak, fixed: state.samples.fixed };
    let top = MIN_TOP[signal];
    for (const k in rows) for (const r of rows[k]) if (r[col] !== null) top = Math.max(top, (r[col] / scale) * 1.1);
    top = niceTop(top);
    const xmax = Math.max(10, Math.ceil(state.now / 10) * 10);
    const x = (t) => L + (t / xmax) * (W - L - R);
    const y = (v) => T + (1 - v / scale / top) * (H - T - B);

    const load = state.load;
    if (load && load.start !== null) {
      const end = load.stop !== null ? load.stop : state.now;
      svg.appendChild(el("rect", { class: "loadband", x: x(load.start), y: T,
        width: Math.max(0, x(end) - x(load.start)), height: H - T - B }));
    }
    for (let i = 0; i <= 4; i++) {
      const v = (top * i) / 4, yy = T + (1 - i / 4) * (H - T - B);
      svg.appendChild(el("line", { class: "grid", x1: L, x2: W - R, y1: yy, y2: yy }));
      svg.appendChild(el("text", { class: "tick", x: L - 6, y: yy + 4, "text-anchor": "end" },
        Number.isInteger(v) ? String(v) : v.toFixed(1)));
    }
    const xstep = xmax <= 30 ? 5 : xmax <= 120 ? 10 : xmax <= 600 ? 60 : 300;
    for (let t = 0; t <= xmax; t += xstep) {
      svg.appendChild(el("text", { class: "tick", x: x(t), y: H - 8, "text-anchor": "middle" }, t + " s"));
    }
    svg.appendChild(el("line", { class: "axis", x1: L, x2: L, y1: T, y2: H - B }));
    svg.appendChild(el("line", { class: "axis", x1: L, x2: W - R, y1: H - B, y2: H - B }));

    const drawn = {};
    for (const variant of ["fixed", "leak"]) {
      const pts = rows[variant].filter((r) => r[col] !== null);
      drawn[variant] = pts.length;
      if (pts.length === 0) continue;
      const line = el("polyline", { class: "line " + variant,
        points: pts.map((r) => x(r[0]).toFixed(1) + "," + y(r[col]).toFixed(1)).join(" ") });
      line.dataset.variant = variant;
      svg.appendChild(line);
      const last = pts[pts.length - 1];
      const shown = signal === "heap" ? (last[col] / 1024).toFixed(0) : String(last[col]);
      svg.appendChild(el("text", { class: "endlabel " + variant, x: x(last[0]) + 5,
        y: y(last[col]) + (variant === "leak" ? -4 : 12) }, shown));
    }
    return drawn;
  }

  function statusText(state) {
    const load = state.load;
    const left = Math.max(0, Math.round(state.seconds - state.now));
    if (state.problem) return "stopped: " + state.problem;
    if (!load) return "sampling the baseline before the load starts…";
    const c = load.clients;
    const served = "served: leak " + c.leak.served + ", fixed " + c.fixed.served +
      (c.leak.failed + c.fixed.failed ? " (failed: " + c.leak.failed + ", " + c.fixed.failed + ")" : "");
    const phase = load.running
      ? state.rate + " clients/s into each program (" + state.case.scenario + ")"
      : "load stopped at " + Math.round(load.stop) + " s; watching the programs settle";
    return phase + " · " + served + " · the run ends in " + left + " s";
  }

  // The panels in the order of what the case is judged on: its plan's
  // signals first (as the plan lists them), then the others, so the line
  // that carries the lesson is the first one seen, above the fold.
  function orderPanels(expect) {
    const main = document.querySelector("main");
    const sections = Array.from(main.querySelectorAll(".chart"));
    const rank = (s) => {
      const i = expect.indexOf(s.dataset.signal);
      return i < 0 ? expect.length + sections.indexOf(s) : i;
    };
    sections.slice().sort((a, b) => rank(a) - rank(b)).forEach((s) => main.appendChild(s));
    live.order = Array.from(main.querySelectorAll(".chart")).map((s) => s.dataset.signal);
  }

  function render(state) {
    if (!live.state) orderPanels(state.case.expect);
    live.state = state;
    document.getElementById("case").textContent = state.case.name;
    document.getElementById("summary").textContent = state.case.summary +
      " (what leaks: " + state.case.expect.join(", ") + ")";
    document.getElementById("status").textContent = statusText(state);
    for (const section of document.querySelectorAll(".chart")) {
      const signal = section.dataset.signal;
      const v = judge(signal, state);
      live.verdicts[signal] = v;
      live.drawn[signal] = draw(section, signal, state);
      const p = section.querySelector(".verdict");
      p.textContent = v.text;
      p.className = "verdict" + (v.expected && v.leak_rise !== null
        ? (v.rising && v.flat ? " good" : v.flat ? "" : " bad") : "");
      const h = section.querySelector("h2");
      h.dataset.expected = v.expected;
      if (v.expected && !h.textContent.endsWith(" *")) h.textContent += " *";
    }
    live.updates++;
  }

  let failures = 0;
  async function poll() {
    try {
      const r = await fetch("/state.json", { cache: "no-store" });
      if (!r.ok) throw new Error("HTTP " + r.status);
      render(await r.json());
      failures = 0;
      live.error = null;
    } catch (e) {
      failures++;
      live.error = String(e);
      if (failures >= 3) {
        document.getElementById("status").textContent =
          "the run has ended (the dashboard no longer answers); the lines are its last samples";
        return;
      }
    }
    setTimeout(poll, 1000);
  }
  poll();
})();
