/*
 * The keeper dashboard (read-only). Reads /api/snapshot from the keeper's health server every
 * REFRESH_MS and draws it with Chart.js (served by the same server from node_modules; no CDN).
 * Plain browser JavaScript under a strict CSP: no inline script or style, no eval.
 * `window.sifDashboard` exposes the charts and the last snapshot (the browser test reads it).
 */
(function () {
  "use strict";

  var REFRESH_MS = 15000;
  var PALETTE = ["#60a5fa", "#f472b6", "#34d399", "#fbbf24", "#a78bfa", "#f87171", "#2dd4bf", "#fb923c", "#c084fc", "#4ade80"];
  var state = { charts: {}, snapshot: null, ready: false, renders: 0 };
  window.sifDashboard = state;

  Chart.defaults.color = "#cbd5e1";
  Chart.defaults.borderColor = "#1e293b";
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;

  function el(id) { return document.getElementById(id); }
  function usd(n) { return n === null || n === undefined ? "–" : "$" + Number(n).toLocaleString("en-US", { maximumFractionDigits: 0 }); }
  /** Chain time (unix seconds) as ISO 8601 UTC to the minute, e.g. "2027-03-16 06:53 UTC"; columns say "chain time". */
  function iso(t) { return t === null || t === undefined ? "–" : new Date(t * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC"; }
  /** A share with its base, e.g. "100% of target". */
  function pct(ratio, base) { return ratio === null || ratio === undefined ? "–" : Math.round(ratio * 100) + "% of " + base; }
  function day(t) { return new Date(t * 1000).toISOString().slice(0, 10); }
  function dayTime(t) { return new Date(t * 1000).toISOString().slice(5, 16).replace("T", " "); }
  function text(s) { return document.createTextNode(s === null || s === undefined ? "–" : String(s)); }

  /** Replaces a table's rows; cells are text nodes (never HTML), so no data can inject markup. */
  function fillTable(id, head, rows) {
    var table = el(id);
    while (table.firstChild) table.removeChild(table.firstChild);
    var thead = document.createElement("thead");
    var tr = document.createElement("tr");
    head.forEach(function (h) { var th = document.createElement("th"); th.appendChild(text(h)); tr.appendChild(th); });
    thead.appendChild(tr);
    table.appendChild(thead);
    var tbody = document.createElement("tbody");
    rows.forEach(function (row) {
      var r = document.createElement("tr");
      row.forEach(function (cell) {
        var td = document.createElement("td");
        if (cell && typeof cell === "object" && "title" in cell) {
          // A name a person reads, with the raw key on hover.
          td.title = cell.title;
          td.appendChild(text(cell.text));
        } else if (cell && typeof cell === "object" && "pill" in cell) {
          var span = document.createElement("span");
          span.className = "pill " + cell.kind;
          span.appendChild(text(cell.pill));
          td.appendChild(span);
        } else {
          if (typeof cell === "number") td.className = "num";
          td.appendChild(text(cell));
        }
        r.appendChild(td);
      });
      tbody.appendChild(r);
    });
    table.appendChild(tbody);
  }

  function upsertChart(name, canvasId, config) {
    var existing = state.charts[name];
    if (existing) {
      existing.data = config.data;
      existing.options = config.options;
      existing.update("none");
      return existing;
    }
    var chart = new Chart(el(canvasId), config);
    state.charts[name] = chart;
    return chart;
  }

  function renderCards(s) {
    var cards = [
      ["Chain", s.chain ? "#" + s.chain.blockNumber + " (id " + s.chain.chainId + ")" : "–"],
      ["Chain time", s.chain ? iso(s.chain.blockTimestamp) : "–"],
      ["Total coverage", usd(s.coverage && s.coverage.totalCoverageUsd)],
      ["Premium paid", usd(s.coverage && s.coverage.totalPremiumPaidUsd)],
      ["Keeper balance", s.keeper ? s.keeper.balanceEth.toFixed(4) + " ETH" : "–"],
      ["Pending txs / nonce gap", s.keeper ? s.keeper.pendingTxs + " / " + (s.keeper.noncePending - s.keeper.nonceLatest) : "–"],
      ["Open incidents", String(s.incidents.filter(function (i) { return i.open; }).length)],
      ["Budget today", usd(s.budget.dayUsedUsd) + " of " + usd(s.budget.dayLimitUsd)],
    ];
    var box = el("cards");
    while (box.firstChild) box.removeChild(box.firstChild);
    cards.forEach(function (c) {
      var card = document.createElement("div");
      card.className = "card";
      var label = document.createElement("div"); label.className = "label"; label.appendChild(text(c[0]));
      var value = document.createElement("div"); value.className = "value"; value.appendChild(text(c[1]));
      card.appendChild(label); card.appendChild(value);
      box.appendChild(card);
    });
    var status = el("status");
    while (status.firstChild) status.removeChild(status.firstChild);
    var badge = document.createElement("span");
    badge.className = s.health && s.health.ok ? "ok" : "bad";
    badge.appendChild(text(s.health && s.health.ok ? "healthy" : "unhealthy"));
    status.appendChild(badge);
    status.appendChild(text(" · updated " + new Date(s.generatedAtMs).toLocaleTimeString()));
    // Why it is degraded (e.g. cover the keeper cannot buy or renew), by component.
    var degraded = (s.health && s.health.degraded) || {};
    Object.keys(degraded).forEach(function (component) {
      var line = document.createElement("div");
      line.className = "degraded";
      line.appendChild(text("degraded (" + component + "): " + degraded[component]));
      status.appendChild(line);
    });
    (s.coverageHeld || []).forEach(function (h) {
      var line = document.createElement("div");
      line.className = "held";
      var lapse = h.lapseAt === null ? "no live cover now" : "cover lapses " + iso(h.lapseAt);
      line.appendChild(text("cannot cover " + h.protocol + ": " + h.reason + " — " + h.detail + "; " + lapse + ". Fix: " + h.fix));
      status.appendChild(line);
    });
  }

  function renderCoverage(s) {
    var rows = s.coverage ? s.coverage.rows : [];
    var labels = rows.map(function (r) { return r.name; });
    upsertChart("coverage", "coverageChart", {
      type: "bar",
      data: {
        labels: labels,
        datasets: [
          { label: "Position", data: rows.map(function (r) { return r.positionUsd; }), backgroundColor: "#475569" },
          { label: "Coverage", data: rows.map(function (r) { return r.coverageUsd; }), backgroundColor: "#60a5fa" },
          { label: "Target", data: rows.map(function (r) { return r.optimalUsd; }), backgroundColor: "#34d399" },
        ],
      },
      options: { scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return usd(v); } } } }, plugins: { tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ": " + usd(ctx.parsed.y); } } } } },
    });
    var band = s.coverage ? s.coverage.band : [0.8, 1.2];
    upsertChart("ratio", "ratioChart", {
      type: "bar",
      data: {
        labels: labels,
        datasets: [
          {
            label: "Coverage / target",
            data: rows.map(function (r) { return r.ratio; }),
            backgroundColor: rows.map(function (r) { return r.ratio === null ? "#475569" : r.ratio < band[0] || r.ratio > band[1] ? "#f59e0b" : "#22c55e"; }),
          },
          { type: "line", label: "Band low " + band[0], data: rows.map(function () { return band[0]; }), borderColor: "#f87171", borderDash: [6, 4], pointRadius: 0, fill: false },
          { type: "line", label: "Band high " + band[1], data: rows.map(function () { return band[1]; }), borderColor: "#f87171", borderDash: [6, 4], pointRadius: 0, fill: false },
        ],
      },
      options: { scales: { y: { beginAtZero: true, suggestedMax: 1.5 } } },
    });
    fillTable("coverageTable", ["Protocol", "Score (on-chain)", "Position", "Coverage", "Target", "Coverage / target", "Premium paid", "Next expiry (chain time)"], rows.map(function (r) {
      var inBand = r.ratio !== null && r.ratio >= band[0] && r.ratio <= band[1];
      return [r.name, r.riskScore + " " + r.category, usd(r.positionUsd), usd(r.coverageUsd), usd(r.optimalUsd), { pill: pct(r.ratio, "target"), kind: inBand ? "ok" : "warn" }, usd(r.premiumPaidUsd), iso(r.nextEnd)];
    }));
  }

  function componentsText(c) {
    return "tvl " + c.tvl + ", audit " + c.audit + ", time " + c.time + ", exploit " + c.exploit + ", team " + c.team;
  }

  function renderRisk(s) {
    var datasets = s.risk.map(function (p, i) {
      return {
        type: "line",
        label: p.name,
        data: p.history.map(function (h) { return { x: h.t, y: h.composite, components: h.components }; }),
        borderColor: PALETTE[i % PALETTE.length],
        backgroundColor: PALETTE[i % PALETTE.length],
        pointRadius: 3,
        tension: 0,
      };
    });
    var pushes = [];
    s.risk.forEach(function (p) {
      p.pushes.forEach(function (push) { pushes.push({ x: push.t, y: push.composite, components: push.components, protocol: p.name, hash: push.hash }); });
    });
    datasets.push({ type: "scatter", label: "On-chain pushes", data: pushes, pointStyle: "rectRot", pointRadius: 6, borderColor: "#f8fafc", backgroundColor: "rgba(248,250,252,0.35)" });
    var xs = [];
    datasets.forEach(function (d) { d.data.forEach(function (p) { xs.push(p.x); }); });
    var xmin = xs.length ? Math.min.apply(null, xs) : 0;
    var xmax = xs.length ? Math.max.apply(null, xs) : 1;
    var xpad = Math.max(43200, (xmax - xmin) * 0.05); // at least half a day either side
    upsertChart("risk", "riskChart", {
      type: "line",
      data: { datasets: datasets },
      options: {
        parsing: false,
        scales: { x: { type: "linear", min: xmin - xpad, max: xmax + xpad, title: { display: true, text: "chain time (UTC)" }, ticks: { callback: function (v) { return xmax - xmin + 2 * xpad < 3 * 86400 ? dayTime(v) : day(v); } } }, y: { min: 0, max: 100, title: { display: true, text: "score (composite risk)" } } },
        plugins: {
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var raw = ctx.raw;
                var who = raw.protocol ? raw.protocol + " (push)" : ctx.dataset.label;
                return who + " " + raw.y + " at " + iso(raw.x) + " (chain time) — " + componentsText(raw.components);
              },
            },
          },
        },
      },
    });
    fillTable("riskTable", ["Protocol", "Score (assessed)", "Category", "Confidence", "TVL", "Audit", "Time", "Exploit", "Team", "Score (on-chain)", "Pushes"], s.risk.map(function (p) {
      var l = p.latest;
      return [p.name, l ? l.composite : null, l ? l.category : null, l ? l.confidence + "%" : null, l ? l.components.tvl : null, l ? l.components.audit : null, l ? l.components.time : null, l ? l.components.exploit : null, l ? l.components.team : null, p.onChain ? p.onChain.score : null, p.pushes.length];
    }));
  }

  function renderClaims(s) {
    var claims = [];
    s.incidents.forEach(function (incident) {
      incident.claims.forEach(function (c) { claims.push({ incident: incident, claim: c }); });
    });
    var labels = claims.map(function (x) { return (x.incident.name || x.incident.protocol) + " · cover #" + x.claim.coverageId + (x.claim.fundClaimId ? " claim #" + x.claim.fundClaimId : ""); });
    function seg(from, to) { return from !== null && to !== null && to >= from ? [from, to] : null; }
    var phases = [
      ["Claim window", "#60a5fa", function (c) { return c.window ? seg(c.window.earliest, c.window.latest) : null; }],
      ["Voting", "#fbbf24", function (c) { return seg(c.votingStart, c.votingEnd); }],
      ["Cooldown", "#a78bfa", function (c) { return seg(c.votingEnd, c.cooldownEnd); }],
      ["Redemption window", "#34d399", function (c) { return seg(c.cooldownEnd, c.redeemableUntil); }],
    ];
    var bounds = [];
    claims.forEach(function (x) { phases.forEach(function (p) { var r = p[2](x.claim); if (r) bounds.push(r[0], r[1]); }); });
    var lo = bounds.length ? Math.min.apply(null, bounds) : 0;
    var hi = bounds.length ? Math.max.apply(null, bounds) : 1;
    var pad = Math.max(3600, (hi - lo) * 0.03);
    upsertChart("timeline", "timelineChart", {
      type: "bar",
      data: {
        labels: labels,
        datasets: phases.map(function (p) {
          return { label: p[0], backgroundColor: p[1], data: claims.map(function (x) { return p[2](x.claim); }), borderSkipped: false, barPercentage: 0.6 };
        }),
      },
      options: {
        indexAxis: "y",
        scales: { x: { type: "linear", min: lo - pad, max: hi + pad, ticks: { callback: function (v) { return day(v); } } }, y: { stacked: false } },
        plugins: { tooltip: { callbacks: { label: function (ctx) { var r = ctx.raw; return ctx.dataset.label + ": " + iso(r[0]) + " → " + iso(r[1]); } } } },
      },
    });
    fillTable("claimsTable", ["Incident", "State", "Coverage", "Claim", "Fund / upstream", "Filed (chain time)", "Next step", "At (chain time)", "Deadline (chain time)"], claims.map(function (x) {
      var c = x.claim;
      return [{ text: (x.incident.name || x.incident.dedupeKey) + " (" + x.incident.state + ")", title: x.incident.dedupeKey }, c.state, "#" + c.coverageId, c.fundClaimId ? "#" + c.fundClaimId : "–", (c.fundStatus || "–") + " / " + (c.providerStatus || (c.providerId === 0 ? "self-insured" : "–")), iso(c.submittedAt), c.next.action, c.next.at !== null ? iso(c.next.at) : /^done/.test(c.next.action) ? "–" : "next incident watch", iso(c.next.deadline)];
    }));
  }

  function renderBudget(s) {
    var b = s.budget;
    upsertChart("budget", "budgetChart", {
      type: "bar",
      data: {
        labels: b.perDay.map(function (d) { return d.day; }),
        datasets: [
          { label: "Premium committed per day (limit " + usd(b.dayLimitUsd) + " per 24 h)", data: b.perDay.map(function (d) { return d.usd; }), backgroundColor: "#60a5fa" },
        ],
      },
      options: { scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return usd(v); } } } } },
    });
    fillTable("budgetTable", ["Budget", "Used", "Limit"], [
      ["Last coverage cycle", usd(b.cycleUsedUsd), usd(b.cycleLimitUsd)],
      ["Rolling 24 h", usd(b.dayUsedUsd), usd(b.dayLimitUsd)],
    ]);
    fillTable("reserveTable", ["Asset", "Pool", "Self-insured", "Required", "Pool / self-insured", "Reserve"], s.reserves.map(function (r) {
      return [r.symbol, usd(r.poolUsd), usd(r.selfInsuredUsd), usd(r.requiredUsd), pct(r.ratio, "self-insured"), { pill: r.ok ? "ok" : "below ratio", kind: r.ok ? "ok" : "bad" }];
    }));
    var live = (s.health && s.health.loops) || {};
    fillTable("loopTable", ["Loop", "Last success (wall clock)", "At chain time", "Cycles", "Failures", "Every", "Health"], s.loops.map(function (l) {
      // Health as of this request (the snapshot's is as of its status read).
      if (live[l.loop]) l = Object.assign({}, l, { healthy: live[l.loop].healthy, lastError: live[l.loop].lastError || l.lastError });
      return [l.loop, l.lastSuccessMs ? new Date(l.lastSuccessMs).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "never", iso(l.lastChainTime), l.cycles, l.failures, l.intervalSec + " s", { pill: l.healthy ? "ok" : (l.lastError || "late"), kind: l.healthy ? "ok" : "bad" }];
    }));
  }

  function render(s) {
    state.snapshot = s;
    renderCards(s);
    renderCoverage(s);
    renderRisk(s);
    renderClaims(s);
    renderBudget(s);
    var errors = el("errors");
    errors.textContent = s.errors.length > 0 ? "Unavailable this time: " + s.errors.join("; ") : "";
    state.renders += 1;
    state.ready = true;
  }

  function load() {
    return fetch("/api/snapshot", { credentials: "same-origin", cache: "no-store" })
      .then(function (res) {
        if (res.status === 503) { el("status").textContent = "waiting for the keeper's first status read…"; return null; }
        if (!res.ok) throw new Error("HTTP " + res.status);
        return res.json();
      })
      .then(function (s) { if (s) render(s); })
      .catch(function (err) { el("status").textContent = "cannot read /api/snapshot: " + err.message; });
  }

  load();
  setInterval(load, REFRESH_MS);
})();
