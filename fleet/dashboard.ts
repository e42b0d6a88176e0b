// The dashboard: one static page and one script, served by the collector itself (no CDN, no external
// font or map), so it works on an offline network. The script reads the JSON API and draws tables and
// SVG bar charts.

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bluezone fleet</title><link rel="icon" href="data:,">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em;margin:0 0 .5em}h2{font-size:1.1em;margin:1.2em 0 .4em}
table{border-collapse:collapse;margin:.3em 0}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th:first-child,td:first-child,td.l{text-align:left}thead th{background:#f2f2f2}
.alert{background:#fdecea;border:1px solid #e0a39b;padding:.5em .8em;margin:.4em 0}
.warn{background:#fff6e0;border:1px solid #e3c27a;padding:.5em .8em;margin:.4em 0}
.ok{color:#2a7a2a}.bad{color:#b3261e;font-weight:600}.muted{color:#777}
nav a{margin-right:1em}svg text{font:10px system-ui,sans-serif}
</style></head>
<body><nav><a href="/">Province</a><label>Date <input id="date" type="date"></label></nav>
<main id="app"><p class="muted">Loading...</p></main>
<script src="/assets/dashboard.js"></script></body></html>
`;

export const DASHBOARD_JS = String.raw`'use strict';
(function () {
  var app = document.getElementById('app');
  var dateInput = document.getElementById('date');
  var params = new URLSearchParams(location.search);
  var date = params.get('date') || new Date().toISOString().slice(0, 10);
  dateInput.value = date;
  dateInput.addEventListener('change', function () { params.set('date', dateInput.value); location.search = params.toString(); });
  function esc(s) { return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; }); }
  function get(url) {
    return fetch(url, { credentials: 'same-origin' }).then(function (r) {
      if (!r.ok) return r.json().then(function (j) { throw new Error(r.status + ': ' + j.error); });
      return r.json();
    });
  }
  function ago(ms) { if (ms == null) return 'never'; var s = Math.round((Date.now() - ms) / 1000); return s < 120 ? s + ' s ago' : Math.round(s / 60) + ' min ago'; }
  function table(id, head, rows) {
    return '<table id="' + id + '"><thead><tr>' + head.map(function (h) { return '<th>' + esc(h) + '</th>'; }).join('') + '</tr></thead><tbody>' +
      rows.map(function (r) { return '<tr>' + r.join('') + '</tr>'; }).join('') + '</tbody></table>';
  }
  function td(v, k, cls) { return '<td' + (k ? ' data-k="' + k + '"' : '') + (cls ? ' class="' + cls + '"' : '') + '>' + v + '</td>'; }
  // Bar chart as SVG: values[i] with labels[i]; every 'every'-th label shown.
  function bars(id, values, labels, every, w, h) {
    var max = Math.max.apply(null, values.concat([1])), n = values.length, pad = 28, bw = (w - pad) / n;
    var s = '<svg id="' + id + '" width="' + w + '" height="' + (h + 30) + '" role="img">';
    s += '<text x="0" y="10">' + max + '</text><line x1="' + pad + '" y1="' + h + '" x2="' + w + '" y2="' + h + '" stroke="#999"/>';
    for (var i = 0; i < n; i++) {
      var bh = Math.round((values[i] / max) * (h - 14));
      s += '<rect class="bar" data-v="' + values[i] + '" x="' + (pad + i * bw + 0.5).toFixed(1) + '" y="' + (h - bh) + '" width="' + Math.max(1, bw - 1).toFixed(1) + '" height="' + bh + '" fill="#3b6fb6"><title>' + esc(labels[i]) + ': ' + values[i] + '</title></rect>';
      if (i % every === 0) s += '<text x="' + (pad + i * bw).toFixed(1) + '" y="' + (h + 14) + '">' + esc(labels[i]) + '</text>';
    }
    return s + '</svg>';
  }
  function beaconAlerts(d) {
    var s = '';
    if (d.beacons_down.length) s += '<div class="alert" id="down"><b>' + d.beacons_down.length + ' beacon(s) down</b> (no heartbeat for 5 min): ' +
      d.beacons_down.map(function (b) { return esc(b.beacon_id) + ' at ' + esc(b.site) + ' (last seen ' + ago(b.last_seen_ms) + ')'; }).join('; ') + '</div>';
    if (d.clock_warnings.length) s += '<div class="warn" id="clock"><b>Clock warnings</b>: ' +
      d.clock_warnings.map(function (b) { return esc(b.beacon_id) + ' at ' + esc(b.site) + ' (offset ' + (b.clock_offset_ms == null ? '?' : (b.clock_offset_ms / 1000).toFixed(1) + ' s') + ', ' + esc(b.clock_sync) + ')'; }).join('; ') + '</div>';
    return s;
  }
  function overview() {
    return get('/api/v1/overview?date=' + date).then(function (d) {
      var s = '<h1>Bluezone phones, ' + esc(d.date) + ' (UTC)</h1>' + beaconAlerts(d);
      s += '<p>Total: <b id="total">' + d.total.estimate + '</b> (bounds ' + d.total.low + '-' + d.total.high + '), same day last week ' + d.total.same_day_last_week +
        '; beacons up ' + d.total.beacons_up + ', down ' + d.total.beacons_down + '</p>';
      s += '<p>Reports: <a href="/reports/daily.csv?date=' + d.date + '">daily CSV</a> <a href="/reports/daily.xlsx?date=' + d.date + '">daily XLSX</a> ' +
        '<a href="/reports/weekly.csv?week=' + d.date + '">weekly CSV</a> <a href="/reports/weekly.xlsx?week=' + d.date + '">weekly XLSX</a></p>';
      s += '<h2>Sites</h2>' + table('sites', ['District', 'Site', 'Phones today', 'Low', 'High', 'Same day last week', 'Trend', 'Beacons up', 'Down'], d.sites.map(function (x) {
        var tr = x.trend_pct == null ? (x.trend >= 0 ? '+' : '') + x.trend : (x.trend >= 0 ? '+' : '') + x.trend_pct + ' %';
        return [td(esc(x.district), '', 'l'), td('<a href="/site/' + x.site_id + '?date=' + d.date + '">' + esc(x.site) + '</a>', 'site', 'l'), td(x.estimate, 'estimate'), td(x.low, 'low'), td(x.high, 'high'),
          td(x.same_day_last_week, 'last_week'), td(tr, 'trend'), td(x.beacons_up, 'up', 'ok'), td(x.beacons_down, 'down', x.beacons_down ? 'bad' : '')];
      }));
      s += '<h2>Beacons</h2>' + table('beacons', ['Beacon', 'Site', 'Last heartbeat', 'State', 'Slot', 'ID', 'Restarts', 'Clock offset', 'Version', 'Last error'], d.beacons.map(function (b) {
        return [td(esc(b.beacon_id), 'beacon'), td(esc(b.site), '', 'l'), td(ago(b.last_seen_ms), '', b.up ? 'ok' : 'bad'), td(esc(b.state)), td(b.slot == null ? '' : b.slot), td(esc(b.id_prefix)),
          td(b.restarts == null ? '' : b.restarts), td(b.clock_offset_ms == null ? '' : (b.clock_offset_ms / 1000).toFixed(1) + ' s', '', b.clock_warning ? 'bad' : ''), td(esc(b.version)), td(esc(b.last_error), '', 'l')];
      }));
      app.innerHTML = s;
    });
  }
  function site(id) {
    return get('/api/v1/sites/' + id + '?date=' + date).then(function (d) {
      var total = d.week[6].estimate;
      var s = '<h1>' + esc(d.site) + ' <span class="muted">(' + esc(d.district) + ')</span>, ' + esc(d.date) + '</h1>';
      s += '<p>Phones today: <b id="site-total">' + total + '</b> (bounds ' + d.week[6].low + '-' + d.week[6].high + ')</p>';
      s += '<h2>Android Bluezone phones per 15-minute slot (UTC)</h2>' + bars('slots', d.slots.map(function (x) { return x.android; }),
        d.slots.map(function (x) { var m = x.slot * 15; return ('0' + Math.floor(m / 60)).slice(-2) + ':' + ('0' + (m % 60)).slice(-2); }), 8, 900, 160);
      s += '<h2>The week</h2>' + bars('week', d.week.map(function (x) { return x.estimate; }), d.week.map(function (x) { return x.date.slice(5); }), 1, 420, 120);
      s += table('week-table', ['Date', 'Phones', 'Low', 'High'], d.week.map(function (x) { return [td(x.date, '', 'l'), td(x.estimate, 'estimate'), td(x.low), td(x.high)]; }));
      app.innerHTML = s;
    });
  }
  var m = /^\/site\/(\d+)$/.exec(location.pathname);
  (m ? site(m[1]) : overview()).catch(function (e) { app.innerHTML = '<p class="alert">Could not load: ' + esc(e.message) + '</p>'; });
})();
`;
