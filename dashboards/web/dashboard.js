// trainsim dashboards: draws the data embedded in the page (<script id="trainsim-data">) with
// Chart.js. Three kinds of page, by data.kind:
//   "step"   one simulated step: summary, time breakdown, pipeline timeline, memory, roofline,
//            link utilisation, power and energy, collectives (dashboards/dashboard.h);
//   "study"  a what-if study: each figure against each knob, and a table of the points;
//   "live"   served by `trainsim serve`: forms that run a scenario or a study on the server and
//            draw the results as they arrive (dashboards/http_server.h).
// Every chart card carries data-chart="id"; once Chart.js has drawn it, data-rendered="true".
// window.trainsimDashboard lists the charts drawn, for tests and for the curious.
(function () {
  'use strict';

  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif';

  var state = { charts: [] };
  window.trainsimDashboard = state;

  // Marks a chart's card once it has been drawn.
  Chart.register({
    id: 'trainsimRendered',
    afterRender: function (chart) {
      var card = chart.canvas.closest('.card');
      if (card) card.dataset.rendered = 'true';
    }
  });

  var CATEGORY_COLORS = {
    'forward': '#4e79a7', 'backward': '#2f4b7c', 'recompute': '#a0cbe8', 'optimizer': '#8cd17d',
    'tp-comm': '#f28e2b', 'cp-comm': '#b07aa1', 'ep-comm': '#e15759', 'pp-comm': '#59a14f',
    'dp-comm': '#edc948', 'pp-bubble': '#bab0ac', 'idle': '#d7d7d7'
  };
  var PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1',
                 '#ff9da7', '#9c755f', '#bab0ac', '#2f4b7c', '#a05195'];
  function color(i) { return PALETTE[i % PALETTE.length]; }

  // ---- DOM helpers ------------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];
      else if (k === 'class') node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  function card(parent, title, note) {
    var c = el('section', { class: 'card' }, [el('h2', { text: title })]);
    parent.appendChild(c);
    if (note) c.appendChild(el('p', { class: 'note', text: note }));
    return c;
  }

  // A chart in its own card. `config` is a Chart.js configuration.
  // `rows`: a chart of that many rows (a timeline) gets 16 px per row.
  function chartCard(parent, id, title, note, config, rows) {
    var c = el('section', { class: 'card', 'data-chart': id }, [el('h2', { text: title })]);
    var box = el('div', { class: 'chart' });
    if (rows) box.style.height = Math.max(300, 80 + 16 * rows) + 'px';
    var canvas = el('canvas', { 'aria-label': title, role: 'img' });
    box.appendChild(canvas);
    c.appendChild(box);
    if (note) c.appendChild(el('p', { class: 'note', text: note }));
    parent.appendChild(c);
    var chart = new Chart(canvas, config);
    state.charts.push(id);
    (parent.trainsimCharts = parent.trainsimCharts || []).push(chart);
    return chart;
  }

  function clear(node) {
    (node.trainsimCharts || []).forEach(function (c) { c.destroy(); });
    node.trainsimCharts = [];
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function table(headers, rows, numeric) {
    var head = el('tr', {}, headers.map(function (h) { return el('th', { text: h }); }));
    var body = rows.map(function (r) {
      return el('tr', {}, r.map(function (v, i) {
        return el('td', { text: v, class: numeric && numeric[i] ? 'num' : '' });
      }));
    });
    return el('div', { class: 'scroll' }, [el('table', {}, [el('thead', {}, [head]),
                                                             el('tbody', {}, body)])]);
  }

  // ---- number formats ---------------------------------------------------------------------------

  function fixed(x, digits) { return x === null || x === undefined ? '–' : Number(x).toFixed(digits); }
  function si(x, unit) {
    if (x === null || x === undefined) return '–';
    var a = Math.abs(x), prefixes = [[1e15, 'P'], [1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
    for (var i = 0; i < prefixes.length; i++) {
      if (a >= prefixes[i][0]) return (x / prefixes[i][0]).toPrecision(3) + ' ' + prefixes[i][1] + unit;
    }
    return Number(x).toPrecision(3) + ' ' + unit;
  }
  function seconds(s) {
    if (s === null || s === undefined) return '–';
    if (s >= 86400 * 2) return (s / 86400).toFixed(1) + ' days';
    if (s >= 1) return s.toFixed(3) + ' s';
    if (s >= 1e-3) return (s * 1e3).toFixed(2) + ' ms';
    return (s * 1e6).toFixed(1) + ' µs';
  }
  function pct(x) { return x === null || x === undefined ? '–' : (100 * x).toFixed(1) + '%'; }

  function kpis(parent, items) {
    parent.appendChild(el('div', { class: 'kpis' }, items.map(function (kv) {
      return el('div', { class: 'kpi' }, [el('div', { class: 'label', text: kv[0] }),
                                         el('div', { class: 'value', text: kv[1] })]);
    })));
  }

  function header(parent, title, description) {
    parent.appendChild(el('header', {}, [el('h1', { text: title }),
                                        description ? el('p', { text: description }) : null]));
  }

  function showError(parent, message) {
    parent.appendChild(el('pre', { class: 'error', text: message }));
  }

  // ---- one step ---------------------------------------------------------------------------------

  function renderStep(data, root) {
    var r = data.report;
    header(root, data.title, data.description);
    if (data.error) showError(root, data.error);

    var summary = card(root, 'Scenario');
    kpis(summary, [
      ['step time', seconds(r.step_time_s)], ['MFU', pct(r.mfu)], ['HFU', pct(r.hfu)],
      ['tokens / s', si(r.tokens_per_s, '')], ['TFLOP/s per GPU', fixed(r.tflops_per_gpu, 0)],
      ['peak memory', fixed(r.peak_memory_gib, 1) + ' / ' + fixed(r.memory_capacity_gib, 1) + ' GiB'],
      ['bound by', r.bound_by || '–'], ['energy / step', si(r.energy_per_step_j, 'J')],
      ['power per GPU', fixed(r.avg_power_w, 0) + ' W'], ['cluster power', si(r.cluster_power_w, 'W')],
      ['time to train', r.time_to_train_s ? seconds(r.time_to_train_s) : '–']
    ]);
    summary.appendChild(el('div', { style: 'height: 10px' }));
    summary.appendChild(table(['', ''], data.summary, null));
    if (r.bottleneck_collective) {
      summary.appendChild(el('p', { class: 'note', text:
        'Largest collective: ' + r.bottleneck_collective + ' (' + seconds(r.bottleneck_collective_s) +
        ' alone); busiest link tier: ' + r.bottleneck_tier + ' at ' +
        pct(r.bottleneck_tier_utilisation) + ' mean utilisation.' }));
    }

    var grid = el('div', { class: 'grid' });
    root.appendChild(grid);
    if (r.simulated) stepBreakdown(grid, r);
    stepMemory(grid, r);
    if (data.timeline) stepTimeline(root, data.timeline, r);
    var grid2 = el('div', { class: 'grid' });
    root.appendChild(grid2);
    stepRoofline(grid2, data.roofline);
    if (r.links && r.links.length) stepLinks(grid2, r.links);
    if (data.utilisation) stepUtilisation(grid2, data.utilisation);
    if (data.power) stepPower(grid2, data.power, r);
    if (r.collectives && r.collectives.length) {
      var c = card(root, 'Collectives', 'Each collective of the step on its own on an idle network; ' +
                   'groups: concurrent groups of that kind on a stage; count: times per step.');
      c.appendChild(table(['collective', 'algorithm', 'alone', 'groups', 'count'],
        r.collectives.map(function (x) {
          return [x.collective, x.algorithm, seconds(x.idle_time_s), String(x.groups), String(x.count)];
        }), [false, false, true, true, true]));
    }
  }

  function stepBreakdown(parent, r) {
    var names = Object.keys(r.breakdown).filter(function (k) { return r.breakdown[k] > 0; });
    chartCard(parent, 'breakdown', 'Step time breakdown (stage ' + r.critical_stage + ')',
      'Where the critical stage spends the step: compute, exposed communication, bubble.', {
        type: 'bar',
        data: {
          labels: names,
          datasets: [{ label: 'seconds', data: names.map(function (k) { return r.breakdown[k]; }),
                       backgroundColor: names.map(function (k) { return CATEGORY_COLORS[k] || '#888'; }) }]
        },
        options: {
          indexAxis: 'y',
          plugins: { legend: { display: false },
                     tooltip: { callbacks: { label: function (c) { return seconds(c.raw); } } } },
          scales: { x: { title: { display: true, text: 'seconds' } } }
        }
      });
  }

  function stepMemory(parent, r) {
    var parts = [['weights_bytes', 'weights'], ['gradients_bytes', 'gradients'],
                 ['optimizer_bytes', 'optimizer'], ['activations_bytes', 'activations'],
                 ['buffers_bytes', 'buffers']];
    var gib = 1024 * 1024 * 1024;
    var datasets = parts.map(function (p, i) {
      return { label: p[1], stack: 'memory', backgroundColor: color(i),
               data: r.memory.map(function (m) { return Number(m[p[0]] || 0) / gib; }) };
    });
    datasets.push({ type: 'line', label: 'capacity', stack: 'capacity', borderColor: '#b3261e',
                    borderDash: [6, 4], pointRadius: 0, borderWidth: 2, fill: false,
                    data: r.memory.map(function () { return r.memory_capacity_gib; }) });
    chartCard(parent, 'memory', 'Memory per GPU by pipeline stage',
      'Peak HBM per GPU on each stage against the usable capacity (dashed).', {
        type: 'bar',
        data: { labels: r.memory.map(function (m) { return 'stage ' + (m.stage || 0); }), datasets: datasets },
        options: { scales: { x: { stacked: true },
                             y: { stacked: true, beginAtZero: true, title: { display: true, text: 'GiB' } } } }
      });
  }

  function stepTimeline(root, t, r) {
    var rows = [], datasets = {};
    t.stages.forEach(function (s) {
      s.lanes.forEach(function (lane) {
        var label = 'stage ' + s.stage + (lane.lane === 'compute' ? '' : ' ' + lane.lane);
        rows.push(label);
        lane.segments.forEach(function (seg) {
          var name = t.categories[seg[2]];
          if (!datasets[name]) {
            datasets[name] = { label: name, data: [], backgroundColor: CATEGORY_COLORS[name] || '#888',
                               grouped: false, barPercentage: 0.85, categoryPercentage: 1.0,
                               borderSkipped: false, minBarLength: 1 };
          }
          datasets[name].data.push({ x: [seg[0], seg[1]], y: label });
        });
      });
    });
    var ordered = t.categories.filter(function (c) { return datasets[c]; }).map(function (c) { return datasets[c]; });
    chartCard(root, 'timeline', 'Pipeline timeline of one step',
      'One rank class per stage (' + t.stages.map(function (s) { return s.stream; }).slice(0, 2).join(', ') +
      ', …): compute kernels, then each kind of communication it takes part in. Gaps in a compute ' +
      'row are the pipeline bubble and exposed communication; DP buckets overlapping the backward ' +
      'pass show in the dp rows.', {
        type: 'bar',
        data: { labels: rows, datasets: ordered },
        options: {
          indexAxis: 'y',
          parsing: { xAxisKey: 'x', yAxisKey: 'y' },
          scales: { x: { type: 'linear', min: 0, max: t.step_s, title: { display: true, text: 'seconds' } },
                    y: { ticks: { autoSkip: false } } },
          plugins: { tooltip: { callbacks: { label: function (c) {
            return c.dataset.label + ': ' + seconds(c.raw.x[0]) + ' → ' + seconds(c.raw.x[1]);
          } } } }
        }
      }, rows.length);
  }

  // Log-axis ticks: only powers of ten are labelled.
  function decade(v) {
    var e = Math.log10(v);
    return Math.abs(e - Math.round(e)) < 1e-9 ? String(v >= 1e4 || v < 1e-2 ? '1e' + Math.round(e) : v) : '';
  }

  function stepRoofline(parent, rf) {
    var ai = rf.ops.map(function (o) { return o.intensity; });
    var ridge = rf.peak_flops / rf.hbm_bytes_per_s;
    var lo = Math.min.apply(null, ai.concat([ridge])) / 4, hi = Math.max.apply(null, ai.concat([ridge])) * 4;
    function roof(peak) {
      var knee = peak / rf.hbm_bytes_per_s, pts = [{ x: lo, y: Math.min(peak, lo * rf.hbm_bytes_per_s) }];
      if (knee > lo && knee < hi) pts.push({ x: knee, y: peak });
      pts.push({ x: hi, y: Math.min(peak, hi * rf.hbm_bytes_per_s) });
      return pts;
    }
    var byBound = {};
    rf.ops.forEach(function (o) {
      (byBound[o.bound] = byBound[o.bound] || []).push({ x: o.intensity, y: o.flops_per_s, name: o.name });
    });
    var datasets = [
      { type: 'line', label: rf.format + ' tensor-core roof', data: roof(rf.peak_flops),
        borderColor: '#1d2330', pointRadius: 0, borderWidth: 2 },
      { type: 'line', label: 'FP32 CUDA-core roof', data: roof(rf.fp32_flops),
        borderColor: '#8a93a6', borderDash: [5, 4], pointRadius: 0, borderWidth: 1.5 }
    ];
    Object.keys(byBound).forEach(function (b, i) {
      datasets.push({ type: 'scatter', label: b + '-bound ops', data: byBound[b],
                      backgroundColor: b === 'math' ? '#4e79a7' : '#e15759', pointRadius: 4 });
    });
    chartCard(parent, 'roofline', 'Roofline: ' + rf.gpu + ', ' + rf.format,
      'Each kernel of one layer (forward and backward): achieved FLOP/s against FLOPs per HBM byte; ' +
      'roofs at the dense ' + rf.format + ' peak (' + si(rf.peak_flops, 'FLOP/s') + ') and ' +
      si(rf.hbm_bytes_per_s, 'B/s') + ' of HBM.', {
        type: 'scatter',
        data: { datasets: datasets },
        options: {
          scales: { x: { type: 'logarithmic', min: lo, max: hi, title: { display: true, text: 'FLOP per byte' },
                         ticks: { callback: decade } },
                    y: { type: 'logarithmic', title: { display: true, text: 'FLOP/s' },
                         ticks: { callback: function (v) { return decade(v) && si(v, 'FLOP/s'); } } } },
          plugins: { tooltip: { callbacks: { label: function (c) {
            return (c.raw.name ? c.raw.name + ': ' : '') + si(c.raw.y, 'FLOP/s') + ' at ' +
                   Number(c.raw.x).toPrecision(3) + ' FLOP/B';
          } } } }
        }
      });
  }

  function stepLinks(parent, links) {
    chartCard(parent, 'links', 'Link utilisation by tier',
      'Mean over the tier\'s links that carried traffic, and the busiest link, over the step.', {
        type: 'bar',
        data: { labels: links.map(function (l) { return l.tier + ' (' + l.links + ')'; }),
                datasets: [{ label: 'mean', backgroundColor: '#4e79a7',
                             data: links.map(function (l) { return 100 * l.mean_utilisation; }) },
                           { label: 'max', backgroundColor: '#f28e2b',
                             data: links.map(function (l) { return 100 * l.max_utilisation; }) }] },
        options: { scales: { y: { beginAtZero: true, title: { display: true, text: '% busy' } } } }
      });
  }

  function series(values, bin) {
    return values.map(function (v, i) { return { x: (i + 0.5) * bin, y: v }; });
  }

  function stepUtilisation(parent, u) {
    chartCard(parent, 'utilisation', 'Link-tier utilisation over the step',
      'Bytes each collective moves on a tier, spread over its duration, over the tier\'s capacity.', {
        type: 'line',
        data: { datasets: u.tiers.map(function (t, i) {
          return { label: t.tier, data: series(t.utilisation.map(function (x) { return 100 * x; }), u.bin_s),
                   borderColor: color(i), pointRadius: 0, borderWidth: 1.5 };
        }) },
        options: { scales: { x: { type: 'linear', title: { display: true, text: 'seconds' } },
                             y: { beginAtZero: true, title: { display: true, text: '% of capacity' } } } }
      });
  }

  function stepPower(parent, p, r) {
    chartCard(parent, 'power', 'Power per GPU over the step',
      'Each stage\'s first rank class: kernel energy over its duration while it runs, static power (' +
      fixed(p.static_watts, 0) + ' W) while it waits. Step energy ' + si(r.energy_per_step_j, 'J') +
      ', mean ' + fixed(r.avg_power_w, 0) + ' W per GPU.', {
        type: 'line',
        data: { datasets: p.stages.map(function (s, i) {
          return { label: 'stage ' + s.stage, data: series(s.watts, p.bin_s), borderColor: color(i),
                   pointRadius: 0, borderWidth: 1.2 };
        }) },
        options: { scales: { x: { type: 'linear', title: { display: true, text: 'seconds' } },
                             y: { beginAtZero: true, title: { display: true, text: 'W per GPU' } } } }
      });
  }

  // ---- a study ----------------------------------------------------------------------------------

  var FIGURES = [
    ['step_time_s', 'step time', 's', 1], ['mfu', 'MFU', '%', 100], ['tokens_per_s', 'tokens / s', '', 1],
    ['peak_memory_gib', 'peak memory', 'GiB', 1], ['energy_per_step_j', 'energy per step', 'J', 1],
    ['avg_power_w', 'power per GPU', 'W', 1], ['cost_per_step_usd', 'cost per step', 'USD', 1],
    ['time_to_train_s', 'time to train', 'days', 1 / 86400]
  ];

  function renderStudy(data, root) {
    header(root, data.title, data.description);
    if (data.error) showError(root, data.error);
    var rows = data.rows, ok = rows.filter(function (r) { return r.ok; });
    kpis(root, [['points', String(data.points)], ['finished', String(rows.length)],
                ['failed', String(rows.length - ok.length)], ['status', data.done ? 'done' : 'running']]);
    root.appendChild(el('div', { style: 'height: 16px' }));
    var figures = FIGURES.filter(function (f) { return ok.some(function (r) { return r[f[0]]; }); });
    var grid = el('div', { class: 'grid' });
    root.appendChild(grid);
    // Zipped knobs move together: the first stands for all of them on the charts.
    var charted = data.combine === 'zip' ? data.knobs.slice(0, 1) : data.knobs;
    charted.forEach(function (knob, k) {
      figures.forEach(function (f) { studyChart(grid, data, ok, knob, k, f); });
    });
    var c = card(root, 'Points', 'Every finished point; a failed point says why.');
    c.appendChild(table(['point'].concat(data.knobs, figures.map(function (f) { return f[1] + (f[2] ? ' (' + f[2] + ')' : ''); }), ['bound by', 'error']),
      rows.map(function (r) {
        return [String(r.point)].concat(data.knobs.map(function (k) { return String(r.knobs[k]); }),
          figures.map(function (f) { return r[f[0]] === null ? '–' : Number(r[f[0]] * f[3]).toPrecision(4); }),
          [r.bound_by || '', r.error || '']);
      }), [true].concat(data.knobs.map(function () { return false; }), figures.map(function () { return true; }))));
  }

  // One figure against one knob; with a grid of several knobs, one line per value of the others.
  function studyChart(parent, data, rows, knob, k, f) {
    var values = [];
    rows.forEach(function (r) { if (values.indexOf(r.knobs[knob]) < 0) values.push(r.knobs[knob]); });
    var numeric = values.every(function (v) { return typeof v === 'number'; });
    var others = data.combine === 'grid' ? data.knobs.filter(function (o) { return o !== knob; }) : [];
    var groups = {}, order = [];
    rows.forEach(function (r) {
      var key = others.map(function (o) { return o + '=' + r.knobs[o]; }).join(', ') || f[1];
      if (!groups[key]) { groups[key] = []; order.push(key); }
      groups[key].push(r);
    });
    var lines = order.length <= 12;
    if (!lines) { groups = { all: rows }; order = ['all points']; groups['all points'] = rows; }
    var datasets = order.map(function (key, i) {
      var pts = groups[key].map(function (r) {
        return { x: numeric ? r.knobs[knob] : String(r.knobs[knob]), y: r[f[0]] * f[3], point: r.point };
      });
      if (numeric) pts.sort(function (a, b) { return a.x - b.x; });
      return { label: key, data: pts, borderColor: color(i), backgroundColor: color(i),
               showLine: lines, pointRadius: 3, borderWidth: 1.5 };
    });
    var spread = numeric && values.length > 2 && Math.min.apply(null, values) > 0 &&
                 Math.max.apply(null, values) / Math.min.apply(null, values) >= 16;
    var zipped = data.combine === 'zip' && data.knobs.length > 1
      ? 'Zipped with ' + data.knobs.slice(1).join(', ') + ' (see the table).' : null;
    chartCard(parent, 'study-' + k + '-' + f[0], f[1] + ' vs ' + knob, zipped, {
      type: numeric ? 'scatter' : 'line',
      data: numeric ? { datasets: datasets } : { labels: values.map(String), datasets: datasets },
      options: {
        scales: {
          x: numeric ? { type: spread ? 'logarithmic' : 'linear', title: { display: true, text: knob },
                         // a tick at each value of the knob on a log axis
                         afterBuildTicks: spread ? function (axis) {
                           axis.ticks = values.map(function (v) { return { value: v }; });
                         } : undefined }
                     : { type: 'category', title: { display: true, text: knob } },
          y: { title: { display: true, text: f[1] + (f[2] ? ' (' + f[2] + ')' : '') } }
        },
        plugins: { legend: { display: order.length > 1 } }
      }
    });
  }

  // ---- live (trainsim serve) --------------------------------------------------------------------

  function post(url, body) {
    return fetch(url, { method: 'POST', body: body, headers: { 'Content-Type': 'text/plain' } })
      .then(function (res) { return res.json().then(function (j) { return { status: res.status, body: j }; }); });
  }

  function renderLive(data, root) {
    header(root, 'trainsim live', 'Run a scenario or a study on this server; results draw as they arrive.');
    var tabs = el('div', { class: 'tabs' });
    root.appendChild(tabs);
    var panes = {};
    [['run', 'Run a scenario'], ['study', 'Run a study']].forEach(function (t, i) {
      var b = el('button', { id: 'tab-' + t[0], text: t[1], class: i === 0 ? 'active' : '' });
      b.addEventListener('click', function () {
        Object.keys(panes).forEach(function (p) {
          panes[p].style.display = p === t[0] ? '' : 'none';
          document.getElementById('tab-' + p).className = p === t[0] ? 'active' : '';
        });
      });
      tabs.appendChild(b);
    });

    panes.run = el('div', { id: 'pane-run' });
    var runForm = card(panes.run, 'Scenario (YAML or JSON)');
    var runText = el('textarea', { id: 'scenario-text', spellcheck: 'false' });
    runText.value = data.scenario;
    var runButton = el('button', { id: 'run-button', text: 'Run' });
    var runStatus = el('span', { id: 'run-status', class: 'status' });
    runForm.appendChild(runText);
    runForm.appendChild(el('div', {}, [runButton, runStatus]));
    var runOut = el('div', { id: 'run-output' });
    panes.run.appendChild(runOut);
    runButton.addEventListener('click', function () {
      runButton.disabled = true;
      runStatus.textContent = 'simulating…';
      clear(runOut);
      var started = performance.now();
      post('/api/run', runText.value).then(function (res) {
        if (res.status !== 200) showError(runOut, res.body.error || ('HTTP ' + res.status));
        else renderStep(res.body, runOut);
        runStatus.textContent = res.status === 200
          ? 'done in ' + ((performance.now() - started) / 1000).toFixed(1) + ' s' : 'failed';
      }).catch(function (e) { showError(runOut, String(e)); runStatus.textContent = 'failed'; })
        .then(function () { runButton.disabled = false; });
    });

    panes.study = el('div', { id: 'pane-study', style: 'display: none' });
    var studyForm = card(panes.study, 'Study (YAML: a base scenario and knobs)');
    var studyText = el('textarea', { id: 'study-text', spellcheck: 'false' });
    studyText.value = data.study;
    var studyButton = el('button', { id: 'study-button', text: 'Start' });
    var studyStatus = el('span', { id: 'study-status', class: 'status' });
    studyForm.appendChild(studyText);
    studyForm.appendChild(el('div', {}, [studyButton, studyStatus]));
    var studyOut = el('div', { id: 'study-output' });
    panes.study.appendChild(studyOut);
    studyButton.addEventListener('click', function () {
      studyButton.disabled = true;
      clear(studyOut);
      post('/api/sweeps', studyText.value).then(function (res) {
        if (res.status !== 202) {
          showError(studyOut, res.body.error || ('HTTP ' + res.status));
          studyButton.disabled = false;
          return;
        }
        var id = res.body.id, shown = -1;
        (function poll() {
          fetch('/api/sweeps/' + id).then(function (r) { return r.json(); }).then(function (d) {
            studyStatus.textContent = d.rows.length + ' / ' + d.points + ' points' + (d.done ? ', done' : '');
            if (d.rows.length !== shown || d.done) {
              shown = d.rows.length;
              clear(studyOut);
              renderStudy(d, studyOut);
            }
            if (d.done) studyButton.disabled = false;
            else setTimeout(poll, 300);
          }).catch(function (e) { showError(studyOut, String(e)); studyButton.disabled = false; });
        })();
      });
    });
    root.appendChild(panes.run);
    root.appendChild(panes.study);
  }

  function main() {
    var root = document.getElementById('app');
    try {
      var data = JSON.parse(document.getElementById('trainsim-data').textContent);
      document.title = data.title + ' · trainsim';
      if (data.kind === 'step') renderStep(data, root);
      else if (data.kind === 'study') renderStudy(data, root);
      else if (data.kind === 'live') renderLive(data, root);
      else throw new Error('unknown dashboard kind ' + data.kind);
    } catch (e) {
      showError(root, 'dashboard: ' + (e && e.stack ? e.stack : e));
      throw e;
    }
    state.ready = true;
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main);
  else main();
})();
