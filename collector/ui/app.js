/*
 * app.js - the collector's web UI: one page, hash routes, plain DOM.
 *
 * Every page is a loader (JSON from the collector's API) and a view that
 * builds DOM nodes from it.  Data only ever reaches the document as text
 * nodes or attribute values set through the DOM, never as markup, so a
 * message holding "<script>" is shown as those characters.  The current
 * page reloads its data every few seconds and redraws only when the data
 * changed; forms live outside the redrawn part so that typing is never
 * lost.  Times are shown in the collector's time zone (GET /api/v1/session).
 * Writes carry the session's CSRF token in X-CSRF-Token.
 */
'use strict';

(function () {
	const S = {
		session: { user: null, csrf: null, timezone: 'UTC', login_enabled: false },
		tz: 'UTC',
		seq: 0,          /* bumps on every navigation; stale loads are dropped */
		page: null,      /* {def, params, live, last, sig, at, busy} */
		after: '#/overview',
		findingsBy: 'severity',
		rangeS: 86400,
		violationsAll: true
	};
	const SEVERITIES = ['critical', 'warning', 'unknown'];

	/* ---- DOM helpers ---- */
	function add(e, kids) {
		for (const c of kids) {
			if (c === null || c === undefined || c === false)
				continue;
			if (Array.isArray(c))
				add(e, c);
			else
				e.append(c instanceof Node ? c : document.createTextNode(String(c)));
		}
		return e;
	}
	function setAttrs(e, attrs) {
		if (!attrs)
			return;
		for (const k of Object.keys(attrs)) {
			const v = attrs[k];
			if (v === null || v === undefined || v === false)
				continue;
			if (k.startsWith('on') && typeof v === 'function')
				e.addEventListener(k.slice(2), v);
			else if (k === 'text')
				e.textContent = String(v);
			else
				e.setAttribute(k, v === true ? '' : String(v));
		}
	}
	function h(tag, attrs, ...kids) {
		const e = document.createElement(tag);
		setAttrs(e, attrs);
		return add(e, kids);
	}
	const SVGNS = 'http://www.w3.org/2000/svg';
	function s(tag, attrs, ...kids) {
		const e = document.createElementNS(SVGNS, tag);
		setAttrs(e, attrs);
		return add(e, kids);
	}
	function $(id) { return document.getElementById(id); }

	/* ---- formatting ---- */
	let dtf = null;
	function setZone(tz) {
		try {
			dtf = new Intl.DateTimeFormat('en-GB', {
				timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit',
				hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23'
			});
			S.tz = tz;
		} catch (e) {
			dtf = new Intl.DateTimeFormat('en-GB', {
				timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit',
				hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23'
			});
			S.tz = 'UTC';
		}
	}
	/* {year, month, day, hour, minute, second} of epoch seconds t in the collector's zone */
	function parts(t) {
		const o = {};
		for (const p of dtf.formatToParts(new Date(t * 1000)))
			if (p.type !== 'literal')
				o[p.type] = p.value;
		if (o.hour === '24')
			o.hour = '00';
		return o;
	}
	function fmtTime(t) {
		if (t === null || t === undefined || t <= 0)
			return '—';
		const p = parts(t);
		return p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute + ':' + p.second;
	}
	function fmtShort(t) {
		const p = parts(t);
		return p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute;
	}
	/* "YYYY-MM-DDTHH:MM" for a datetime-local input */
	function wallInput(t) {
		const p = parts(t);
		return p.year + '-' + p.month + '-' + p.day + 'T' + p.hour + ':' + p.minute;
	}
	function thisMonth() {
		const p = parts(Math.floor(Date.now() / 1000));
		return p.year + '-' + p.month;
	}
	function monthAdd(m, n) {
		let y = Number(m.slice(0, 4)), mo = Number(m.slice(5, 7)) - 1 + n;
		y += Math.floor(mo / 12);
		mo = ((mo % 12) + 12) % 12;
		return String(y).padStart(4, '0') + '-' + String(mo + 1).padStart(2, '0');
	}
	function fmtDur(sec) {
		if (sec === null || sec === undefined)
			return '—';
		const neg = sec < 0;
		let v = Math.abs(Math.round(sec));
		const d = Math.floor(v / 86400); v -= d * 86400;
		const hh = Math.floor(v / 3600); v -= hh * 3600;
		const m = Math.floor(v / 60); const ss = v - m * 60;
		let out;
		if (d > 0)
			out = d + 'd ' + hh + 'h';
		else if (hh > 0)
			out = hh + 'h ' + m + 'm';
		else if (m > 0)
			out = m + 'm ' + ss + 's';
		else
			out = ss + 's';
		return (neg ? '−' : '') + out;
	}
	function fmtPct(v) {
		return v === null || v === undefined ? 'no data' : Number(v).toFixed(3) + ' %';
	}
	function fmtNum(v) {
		if (typeof v !== 'number')
			return String(v);
		return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
	}
	function fmtMetrics(m) {
		if (!m || typeof m !== 'object')
			return '';
		return Object.keys(m).map((k) => k + '=' + (typeof m[k] === 'object' ? JSON.stringify(m[k]) : fmtNum(m[k]))).join(', ');
	}
	function status(st) {
		const v = String(st || 'nodata');
		return h('span', { class: 'st st-' + v.replace(/[^a-z_]/g, '') }, v);
	}
	function checkLink(agent, check, text) {
		return h('a', { href: '#/check/' + encodeURIComponent(agent) + '/' + encodeURIComponent(check) }, text || check);
	}
	function serverLink(agent) {
		return h('a', { href: '#/servers/' + encodeURIComponent(agent) }, agent);
	}
	function table(headers, rows, empty, caption) {
		const thead = h('thead', null, h('tr', null, headers.map((x) => {
			const n = x.endsWith('#');
			return h('th', { scope: 'col', class: n ? 'n' : null }, n ? x.slice(0, -1) : x);
		})));
		const tb = h('tbody');
		for (const r of rows)
			tb.append(r);
		if (rows.length === 0)
			tb.append(h('tr', null, h('td', { colspan: headers.length, class: 'muted' }, empty || 'None.')));
		return h('table', null, caption ? h('caption', { class: 'muted' }, caption) : null, thead, tb);
	}
	function td(x, cls) { return h('td', cls ? { class: cls } : null, x); }
	function notice(msg, isError) {
		const n = $('notice');
		n.className = 'notice' + (isError ? ' error' : '');
		n.textContent = msg || '';
	}

	/* ---- the API ---- */
	async function api(method, path, body) {
		const opt = { method: method, headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' };
		if (body !== undefined) {
			opt.headers['Content-Type'] = 'application/json';
			opt.body = JSON.stringify(body);
		}
		if (method !== 'GET' && S.session.csrf)
			opt.headers['X-CSRF-Token'] = S.session.csrf;
		const r = await fetch(path, opt);
		let j = null;
		try {
			j = await r.json();
		} catch (e) {
			j = null;
		}
		if (!r.ok) {
			const err = new Error((j && j.error) || ('HTTP ' + r.status));
			err.status = r.status;
			err.body = j;
			if (r.status === 401 && method !== 'GET' && path !== '/api/v1/login') {
				S.session.user = null;
				S.session.csrf = null;
				drawUser();
			}
			throw err;
		}
		return j;
	}
	const get = (p) => api('GET', p);

	async function loadSession() {
		try {
			const j = await get('/api/v1/session');
			S.session = Object.assign({ user: null, csrf: null, timezone: 'UTC', login_enabled: false }, j || {});
		} catch (e) {
			S.session = { user: null, csrf: null, timezone: 'UTC', login_enabled: false };
		}
		setZone(S.session.timezone || 'UTC');
		drawUser();
	}
	function drawUser() {
		const u = $('user');
		if (!u)
			return;
		if (S.session.user) {
			u.replaceChildren(h('span', null, 'Signed in as ', h('strong', null, S.session.user)),
				h('button', { type: 'button', id: 'logout', onclick: logout }, 'Log out'));
		} else {
			u.replaceChildren(h('a', { href: '#/login', id: 'login-link' }, 'Log in'));
		}
	}
	async function logout() {
		try {
			await api('POST', '/api/v1/logout', {});
		} catch (e) {
			/* the session is gone either way */
		}
		await loadSession();
		notice('Logged out.');
		show();
	}
	function needLogin(what) {
		return h('p', { class: 'muted' }, h('a', { href: '#/login' }, 'Log in'), ' to ' + what + '.');
	}

	/* ---- charts (SVG drawn here, no library) ---- */
	function timelineBar(segs, from, to, label) {
		const W = 1000, H = 28, span = Math.max(1, to - from);
		const svg = s('svg', { class: 'bar', viewBox: '0 0 ' + W + ' ' + H, preserveAspectRatio: 'none', role: 'img', 'aria-label': label });
		svg.append(s('rect', { x: 0, y: 0, width: W, height: H, class: 'seg-nodata' }));
		for (const g of segs) {
			const a = Math.max(from, g.start), b = Math.min(to, g.end);
			if (b <= a)
				continue;
			/* short down time stays visible: at least 3 units of the 1000
			   wide (about 3 px on a page 1000 px wide; one unit is lost in
			   the antialiasing of a month-long bar) */
			const x = (a - from) / span * W, w = Math.max(g.kind === 'nodata' ? 0.5 : 3, (b - a) / span * W);
			svg.append(s('rect', { x: x.toFixed(2), y: 0, width: w.toFixed(2), height: H, class: 'seg-' + String(g.kind).replace(/[^a-z_]/g, '') },
				s('title', null, g.kind + ': ' + fmtTime(a) + ' – ' + fmtTime(b) + ' (' + fmtDur(b - a) + ')')));
		}
		return svg;
	}
	function legend(kinds) {
		return h('ul', { class: 'legend' }, kinds.map((k) => h('li', null,
			s('svg', { viewBox: '0 0 10 10', 'aria-hidden': 'true' }, s('rect', { width: 10, height: 10, class: 'seg-' + k })), k.replace('_', ' '))));
	}
	function lineChart(points, from, to, name) {
		const W = 800, H = 180, L = 60, R = 10, T = 10, B = 24;
		let lo = Infinity, hi = -Infinity;
		for (const p of points) {
			lo = Math.min(lo, p[1]);
			hi = Math.max(hi, p[1]);
		}
		if (lo === hi) {
			lo -= 1;
			hi += 1;
		}
		const span = Math.max(1, to - from);
		const X = (t) => L + (t - from) / span * (W - L - R), Y = (v) => T + (hi - v) / (hi - lo) * (H - T - B);
		const svg = s('svg', { class: 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img',
			'aria-label': name + ': ' + points.length + ' values from ' + fmtNum(lo) + ' to ' + fmtNum(hi) });
		svg.append(s('line', { class: 'axis', x1: L, y1: T, x2: L, y2: H - B }),
			s('line', { class: 'axis', x1: L, y1: H - B, x2: W - R, y2: H - B }),
			s('text', { x: L - 4, y: T + 8, 'text-anchor': 'end' }, fmtNum(hi)),
			s('text', { x: L - 4, y: H - B, 'text-anchor': 'end' }, fmtNum(lo)),
			s('text', { x: L, y: H - 6 }, fmtShort(from)),
			s('text', { x: W - R, y: H - 6, 'text-anchor': 'end' }, fmtShort(to)));
		let d = '';
		for (const p of points)
			d += (d ? 'L' : 'M') + X(p[0]).toFixed(1) + ' ' + Y(p[1]).toFixed(1);
		if (points.length === 1)
			svg.append(s('circle', { cx: X(points[0][0]), cy: Y(points[0][1]), r: 3, class: 's-ok' }));
		svg.append(s('path', { class: 'line', d: d }));
		return svg;
	}

	/* ---- pages ---- */
	function parseMetrics(text) {
		const out = {};
		const re = /^mxsla_checks\{status="([a-z]+)"\} ([0-9.e+]+)$/gm;
		let m;
		while ((m = re.exec(text)) !== null)
			out[m[1]] = Number(m[2]);
		return out;
	}
	async function getText(p) {
		const r = await fetch(p, { credentials: 'same-origin', cache: 'no-store' });
		if (!r.ok)
			throw new Error('HTTP ' + r.status);
		return r.text();
	}
	function budgetBar(left, total) {
		if (!total)
			return null;
		const f = Math.max(0, Math.min(1, left / total));
		const w = Math.round(f * 10) * 10;
		return h('span', { class: 'budget' + (left < 0 ? ' out' : f < 0.25 ? ' low' : ''), 'aria-hidden': 'true' }, h('span', { class: 'w' + w }));
	}
	function ackText(a) {
		if (!a)
			return null;
		return h('div', { class: 'ack' }, 'Acknowledged by ', h('strong', null, a.user || '?'), ' at ' + fmtTime(a.at),
			a.comment ? [': ', h('q', null, a.comment)] : null);
	}
	/* withAck(v): the acknowledge button, or null (nobody logged in) */
	function violationRows(list, withAck) {
		return list.map((v) => {
			const ack = ackText(v.ack), btn = withAck ? withAck(v) : null;
			return h('tr', { 'data-id': v.id },
				td(serverLink(v.agent)), td(checkLink(v.agent, v.check, v.title || v.check)),
				td(status(v.severity)), td(status(v.status)),
				td(fmtTime(v.start)), td(v.open ? 'open' : fmtTime(v.end)), td(fmtDur(v.duration_s), 'n'),
				td(v.message || '', 'msg'),
				td(ack || btn ? [ack, btn] : (v.open ? 'no' : '—')));
		});
	}

	const overview = {
		title: () => 'Overview',
		every: 2000,
		load: async () => {
			const r = await Promise.all([get('/api/v1/agents'), get('/api/v1/violations?open=1&limit=10000'),
				get('/api/v1/services'), getText('/metrics').then(parseMetrics, () => ({}))]);
			return { agents: r[0], open: r[1], services: r[2], checks: r[3] };
		},
		view: (d) => {
			const up = d.agents.filter((a) => a.state === 'up'), silent = d.agents.filter((a) => a.state !== 'up');
			const bySev = { critical: 0, warning: 0, unknown: 0 };
			for (const v of d.open)
				bySev[v.severity] = (bySev[v.severity] || 0) + 1;
			const total = Object.values(d.checks).reduce((a, b) => a + b, 0);
			const month = d.services.length ? d.services[0].month : thisMonth();
			return h('div', null,
				h('ul', { class: 'cards' },
					h('li', { class: 'card', id: 'card-agents' }, h('span', { class: 'big' }, up.length + ' / ' + d.agents.length), 'agents up',
						silent.length ? h('div', { class: 'st-silent' }, 'silent: ', silent.map((a, i) => [i ? ', ' : '', serverLink(a.id)])) : null),
					SEVERITIES.map((sv) => h('li', { class: 'card', id: 'card-' + sv },
						h('span', { class: 'big st-' + sv }, String(bySev[sv] || 0)), h('a', { href: '#/violations' }, 'open ' + sv + ' violations'))),
					h('li', { class: 'card', id: 'card-checks' }, h('span', { class: 'big' }, String(total)), 'checks',
						h('div', { class: 'muted' }, ['ok', 'warning', 'critical', 'unknown', 'nodata'].filter((k) => d.checks[k]).map((k) => k + ' ' + d.checks[k]).join(' · ')))),
				h('h2', null, 'Open violations'),
				table(['Server', 'Check', 'Severity', 'Status', 'Since', 'Until', 'Duration#', 'Message', 'Acknowledged'],
					violationRows(d.open.slice(0, 20), null), 'No open violations.',
					d.open.length > 20 ? 'The 20 newest of ' + d.open.length + '.' : null),
				h('h2', null, 'SLA this month (' + month + ', ' + S.tz + ')'),
				table(['Service', 'State', 'Target#', 'Availability#', 'Met', 'Budget left#', 'Incidents#'],
					d.services.map((sv) => h('tr', { 'data-service': sv.id },
						td(h('a', { href: '#/sla?month=' + encodeURIComponent(sv.month) + '&service=' + encodeURIComponent(sv.id) }, sv.name)),
						td(status(sv.state)), td(fmtPct(sv.target), 'n'), td(fmtPct(sv.availability), 'n'),
						td(h('span', { class: 'st ' + (sv.met ? 'st-ok' : 'st-critical') }, sv.met ? 'yes' : 'no')),
						td([budgetBar(sv.budget_left_s, sv.budget_s), fmtDur(sv.budget_left_s) + ' of ' + fmtDur(sv.budget_s)], 'n'),
						td(String(sv.incidents), 'n'))), 'No service is configured.'),
				h('h2', null, 'Agents'),
				table(['Server', 'Site', 'Roles', 'State', 'Last seen', 'Checks#'],
					d.agents.map((a) => h('tr', null, td(serverLink(a.id)), td(a.site || '—'), td((a.roles || []).join(', ')),
						td(status(a.state)), td(fmtTime(a.last_seen)), td(String(a.checks || 0), 'n'))), 'No agent is configured.'));
		}
	};

	const servers = {
		title: () => 'Servers',
		every: 10000,
		load: async () => {
			const r = await Promise.all([get('/api/v1/agents'), get('/api/v1/checks')]);
			return { agents: r[0], checks: r[1] };
		},
		view: (d) => {
			const cnt = {};
			for (const c of d.checks) {
				const o = cnt[c.agent] || (cnt[c.agent] = {});
				o[c.status] = (o[c.status] || 0) + 1;
			}
			const cols = ['ok', 'warning', 'critical', 'unknown', 'nodata'];
			return table(['Server', 'Site', 'Roles', 'State', 'Last seen', 'Results stored#'].concat(cols.map((c) => c + '#')),
				d.agents.map((a) => h('tr', { 'data-agent': a.id }, td(serverLink(a.id)), td(a.site || '—'), td((a.roles || []).join(', ')),
					td(status(a.state)), td(fmtTime(a.last_seen)), td(String(a.results_stored || 0), 'n'),
					cols.map((c) => td((cnt[a.id] && cnt[a.id][c]) ? h('span', { class: 'st-' + c }, String(cnt[a.id][c])) : '0', 'n')))),
				'No agent is configured.');
		}
	};

	const server = {
		title: (p) => 'Server ' + p[0],
		every: 5000,
		load: async (p) => {
			const r = await Promise.all([get('/api/v1/agents'), get('/api/v1/checks?agent=' + encodeURIComponent(p[0]))]);
			return { agent: r[0].find((a) => a.id === p[0]) || null, checks: r[1] };
		},
		view: (d, p) => {
			if (!d.agent && d.checks.length === 0)
				return h('p', null, 'No server ' + p[0] + ' is known.');
			const a = d.agent || {};
			return h('div', null,
				h('dl', { class: 'kv' }, h('dt', null, 'Site'), h('dd', null, a.site || '—'),
					h('dt', null, 'Roles'), h('dd', null, (a.roles || []).join(', ') || '—'),
					h('dt', null, 'State'), h('dd', null, status(a.state)),
					h('dt', null, 'First seen'), h('dd', null, fmtTime(a.first_seen)),
					h('dt', null, 'Last seen'), h('dd', null, fmtTime(a.last_seen)),
					h('dt', null, 'Results stored'), h('dd', null, String(a.results_stored || 0))),
				h('h2', null, 'Checks'),
				table(['Check', 'Kind', 'Status', 'Value', 'Message', 'Since', 'Last result'],
					d.checks.map((c) => h('tr', { 'data-check': c.check }, td(checkLink(c.agent, c.check, c.title ? c.title + ' (' + c.check + ')' : c.check)),
						td(c.kind || ''), td(status(c.status)), td(fmtMetrics(c.metrics)), td(c.message || '', 'msg'),
						td(fmtTime(c.since)), td(fmtTime(c.ts)))), 'No checks reported yet.'));
		}
	};

	/* runs of equal status in raw results, newest first */
	function runsOf(hist, interval) {
		const runs = [];
		for (const r of hist) {
			const last = runs[runs.length - 1];
			if (last && last.status === r.status) {
				last.end = r.ts + interval;
				last.message = r.message;
				last.n++;
			} else {
				if (last)
					last.end = Math.min(last.end, r.ts);
				runs.push({ status: r.status, start: r.ts, end: r.ts + interval, n: 1, message: r.message });
			}
		}
		return runs.reverse();
	}
	const check = {
		title: (p) => p[1] + ' on ' + p[0],
		every: 15000,
		setup: (p, ctx) => h('form', { class: 'toolbar', onsubmit: (e) => e.preventDefault() },
			h('label', null, h('span', null, 'Range'), h('select', { id: 'range', onchange: (e) => { S.rangeS = Number(e.target.value); ctx.reload(); } },
				[[3600, 'last hour'], [86400, 'last 24 hours'], [7 * 86400, 'last 7 days'], [30 * 86400, 'last 30 days']].map((o) =>
					h('option', { value: o[0], selected: o[0] === S.rangeS }, o[1])))),
			h('a', { href: '#/servers/' + encodeURIComponent(p[0]) }, 'All checks of ' + p[0])),
		load: async (p) => {
			const now = Math.floor(Date.now() / 1000), from = now - S.rangeS;
			const q = 'agent=' + encodeURIComponent(p[0]) + '&check=' + encodeURIComponent(p[1]);
			const r = await Promise.all([get('/api/v1/checks?agent=' + encodeURIComponent(p[0])),
				get('/api/v1/history?' + q + '&from=' + from + '&to=' + (now + 1) + '&limit=100000'),
				get('/api/v1/violations?limit=10000')]);
			return { check: r[0].find((c) => c.check === p[1]) || null, hist: r[1], from: from, to: now,
				violations: r[2].filter((v) => v.agent === p[0] && v.check === p[1]) };
		},
		view: (d, p) => {
			const c = d.check;
			if (!c)
				return h('p', null, 'No check ' + p[1] + ' is known on ' + p[0] + '.');
			const keys = [];
			for (const r of d.hist)
				for (const k of Object.keys(r.metrics || {}))
					if (typeof r.metrics[k] === 'number' && !keys.includes(k))
						keys.push(k);
			const kindSegs = runsOf(d.hist, c.interval || 60).map((r) => ({ start: r.start, end: r.end, kind: r.status === 'ok' ? 'up' : r.status === 'warning' ? 'degraded' : r.status === 'critical' ? 'down' : 'nodata' }));
			return h('div', null,
				h('dl', { class: 'kv' }, h('dt', null, 'Status'), h('dd', null, status(c.status)),
					h('dt', null, 'Message'), h('dd', { class: 'msg' }, c.message || ''),
					h('dt', null, 'Value'), h('dd', null, fmtMetrics(c.metrics) || '—'),
					h('dt', null, 'Rule'), h('dd', null, (c.rule || '') + (c.target ? ' @ ' + c.target : '')),
					h('dt', null, 'Kind'), h('dd', null, c.kind || ''),
					h('dt', null, 'Interval'), h('dd', null, fmtDur(c.interval)),
					h('dt', null, 'Since'), h('dd', null, fmtTime(c.since)),
					h('dt', null, 'Last result'), h('dd', null, fmtTime(c.ts))),
				h('h2', null, 'State'),
				timelineBar(kindSegs, d.from, d.to, 'state of ' + p[1] + ' over the range'),
				legend(['up', 'degraded', 'down', 'nodata']),
				h('h2', null, 'Metrics'),
				keys.length === 0 ? h('p', { class: 'muted' }, 'No numeric metrics in this range.') :
					keys.map((k) => h('figure', null, h('figcaption', null, k),
						lineChart(d.hist.filter((r) => r.metrics && typeof r.metrics[k] === 'number').map((r) => [r.ts, r.metrics[k]]), d.from, d.to, k))),
				h('h2', null, 'State history'),
				table(['Status', 'From', 'To', 'Duration#', 'Results#', 'Message'],
					runsOf(d.hist, c.interval || 60).slice(0, 200).map((r) => h('tr', null, td(status(r.status)), td(fmtTime(r.start)),
						td(r.end > d.to ? 'now' : fmtTime(r.end)), td(fmtDur(Math.min(r.end, d.to) - r.start), 'n'), td(String(r.n), 'n'), td(r.message || '', 'msg'))),
					'No results in this range.'),
				h('h2', null, 'Violations'),
				table(['Server', 'Check', 'Severity', 'Status', 'Since', 'Until', 'Duration#', 'Message', 'Acknowledged'],
					violationRows(d.violations, null), 'No violations.'));
		}
	};

	const violations = {
		title: () => 'Violations',
		every: 2000,
		setup: (p, ctx) => h('div', null,
			h('form', { class: 'toolbar', onsubmit: (e) => e.preventDefault() },
				h('label', null, h('input', { type: 'checkbox', id: 'only-open', checked: !S.violationsAll,
					onchange: (e) => { S.violationsAll = !e.target.checked; ctx.reload(); } }), ' only open ones')),
			h('form', { class: 'panel', id: 'ack-form', hidden: true, onsubmit: (e) => { e.preventDefault(); ackSubmit(ctx); } },
				h('h2', { id: 'ack-title' }, 'Acknowledge'),
				h('label', null, h('span', null, 'Comment'), h('textarea', { id: 'ack-comment', name: 'comment', maxlength: 1000 })),
				h('div', null, h('button', { type: 'submit', id: 'ack-submit' }, 'Acknowledge'), ' ',
					h('button', { type: 'button', class: 'secondary', onclick: () => { $('ack-form').hidden = true; } }, 'Cancel')),
				h('p', { id: 'ack-error', class: 'error-text', role: 'alert' }))),
		load: async () => get('/api/v1/violations?limit=1000' + (S.violationsAll ? '' : '&open=1')),
		view: (list) => {
			const ackBtn = (v) => S.session.user ? h('button', { type: 'button', class: 'secondary', 'data-ack': v.id,
				onclick: () => ackOpen(v) }, v.ack ? 'Change comment' : 'Acknowledge') : null;
			return h('div', null,
				S.session.user ? null : needLogin('acknowledge violations'),
				table(['Server', 'Check', 'Severity', 'Status', 'Since', 'Until', 'Duration#', 'Message', 'Acknowledged'],
					violationRows(list, ackBtn), 'No violations.'));
		}
	};
	function ackOpen(v) {
		const f = $('ack-form');
		f.dataset.id = v.id;
		$('ack-title').textContent = 'Acknowledge ' + v.check + ' on ' + v.agent + ' (since ' + fmtTime(v.start) + ')';
		$('ack-comment').value = v.ack ? v.ack.comment || '' : '';
		$('ack-error').textContent = '';
		f.hidden = false;
		$('ack-comment').focus();
	}
	async function ackSubmit(ctx) {
		const f = $('ack-form');
		try {
			await api('POST', '/api/v1/violations/' + encodeURIComponent(f.dataset.id) + '/ack', { comment: $('ack-comment').value });
			f.hidden = true;
			notice('Acknowledged.');
			ctx.reload();
		} catch (e) {
			$('ack-error').textContent = 'Not acknowledged: ' + e.message;
		}
	}

	function refLink(r) {
		const t = String(r);
		let u = null;
		try {
			u = new URL(t);
		} catch (e) {
			u = null;
		}
		if (u && (u.protocol === 'https:' || u.protocol === 'http:'))
			return h('a', { href: u.href, rel: 'noreferrer noopener', target: '_blank' }, t);
		return t;
	}
	function findingCard(f, showServer) {
		const refs = Array.isArray(f.references) ? f.references : [];
		return h('article', { class: 'finding sev-' + String(f.status).replace(/[^a-z]/g, '') },
			h('h3', null, status(f.status), ' ', f.title || f.rule || f.check),
			h('p', { class: 'muted' }, showServer ? [serverLink(f.agent), f.site ? ' (' + f.site + ')' : '', ' · '] : null,
				checkLink(f.agent, f.check), ' · ' + fmtTime(f.ts)),
			f.message ? h('p', { class: 'msg' }, f.message) : null,
			f.advice ? h('p', null, h('strong', null, 'Advice: '), f.advice) : null,
			refs.length ? h('p', null, h('strong', null, 'References: '), refs.map((r, i) => [i ? ', ' : '', refLink(r)])) : null);
	}
	const findings = {
		title: () => 'Best-practice findings',
		every: 10000,
		setup: (p, ctx) => h('fieldset', { class: 'toolbar' }, h('legend', null, 'Group by'),
			['severity', 'server'].map((g) => h('label', null, h('input', { type: 'radio', name: 'groupby', value: g, id: 'group-' + g,
				checked: S.findingsBy === g, onchange: () => { S.findingsBy = g; ctx.redraw(); } }), ' ' + g))),
		load: () => get('/api/v1/findings'),
		view: (list) => {
			if (list.length === 0)
				return h('p', null, 'No findings: every best-practice rule passes.');
			const rank = (st) => { const i = SEVERITIES.indexOf(st); return i < 0 ? 9 : i; };
			const sorted = list.slice().sort((a, b) => rank(a.status) - rank(b.status) || String(a.agent).localeCompare(b.agent) || String(a.check).localeCompare(b.check));
			const heads = { critical: 'Critical issues', warning: 'Warnings', unknown: 'Could not be evaluated' };
			const out = h('div', null, h('p', null, list.length + ' findings: ',
				SEVERITIES.map((sv) => sorted.filter((f) => f.status === sv).length + ' ' + sv).join(', ') + '.'));
			if (S.findingsBy === 'severity') {
				for (const sv of SEVERITIES.concat(['other'])) {
					const g = sorted.filter((f) => sv === 'other' ? rank(f.status) === 9 : f.status === sv);
					if (g.length === 0)
						continue;
					out.append(h('section', { 'data-severity': sv }, h('h2', null, (heads[sv] || 'Other') + ' (' + g.length + ')'),
						g.map((f) => findingCard(f, true))));
				}
			} else {
				const agents = [...new Set(sorted.map((f) => f.agent))].sort();
				for (const a of agents) {
					const g = sorted.filter((f) => f.agent === a);
					out.append(h('section', { 'data-agent': a }, h('h2', null, serverLink(a), ' (' + g.length + ')'),
						g.map((f) => findingCard(f, false))));
				}
			}
			return out;
		}
	};

	const sla = {
		title: () => 'SLA',
		every: 30000,
		setup: (p, ctx) => {
			const m = ctx.query.get('month') || thisMonth(), cur = thisMonth();
			const opts = [];
			for (let i = 0; i < 24; i++)
				opts.push(monthAdd(cur, -i));
			if (!opts.includes(m))
				opts.push(m);
			return h('form', { class: 'toolbar', onsubmit: (e) => e.preventDefault() },
				h('label', null, h('span', null, 'Month'), h('select', { id: 'month', onchange: (e) => { location.hash = '#/sla?month=' + encodeURIComponent(e.target.value); } },
					opts.map((o) => h('option', { value: o, selected: o === m }, o)))),
				m > monthAdd(cur, -24) ? h('a', { href: '#/sla?month=' + monthAdd(m, -1) }, '← ' + monthAdd(m, -1)) : null,
				m < cur ? h('a', { href: '#/sla?month=' + monthAdd(m, 1) }, monthAdd(m, 1) + ' →') : null,
				h('a', { href: '/api/v1/sla?month=' + encodeURIComponent(m) + '&format=html', target: '_blank' }, 'Printable report'));
		},
		load: async (p, ctx) => {
			const m = ctx.query.get('month') || thisMonth();
			const doc = await get('/api/v1/sla?month=' + encodeURIComponent(m));
			const tls = await Promise.all((doc.services || []).map((sv) =>
				get('/api/v1/services/' + encodeURIComponent(sv.id) + '/timeline?month=' + encodeURIComponent(m))));
			return { doc: doc, tls: tls };
		},
		view: (d) => {
			const doc = d.doc;
			const out = h('div', null, h('p', null, 'Month ' + doc.month + ' in ' + doc.timezone +
				(doc.complete ? ' (complete).' : ' (so far; the month is not over).')));
			if (!doc.services || doc.services.length === 0)
				out.append(h('p', null, 'No service is configured.'));
			(doc.services || []).forEach((sv, i) => {
				const tl = d.tls[i] || { segments: [], start: 0, end: 0 };
				const sum = {};
				for (const g of tl.segments)
					sum[g.kind] = (sum[g.kind] || 0) + (g.end - g.start);
				out.append(h('section', { class: 'service', 'data-service': sv.id },
					h('h2', { id: 'svc-' + sv.id }, sv.name || sv.id),
					h('dl', { class: 'kv' },
						h('dt', null, 'Availability'), h('dd', null, fmtPct(sv.availability), ' (target ' + fmtPct(sv.target) + ') ',
							h('span', { class: 'st ' + (sv.met ? 'st-ok' : 'st-critical') }, sv.met ? 'met' : 'missed')),
						h('dt', null, 'Counting no-data time'), h('dd', null, fmtPct(sv.availability_total)),
						h('dt', null, 'Error budget'), h('dd', null, budgetBar(sv.budget_left_s, sv.budget_s), fmtDur(sv.budget_left_s) + ' left of ' + fmtDur(sv.budget_s)),
						h('dt', null, 'Scheduled'), h('dd', null, fmtDur(sv.scheduled_s)),
						h('dt', null, 'Up / down / no data'), h('dd', null, fmtDur(sv.up_s) + ' / ' + fmtDur(sv.down_s) + ' / ' + fmtDur(sv.nodata_s)),
						h('dt', null, 'Degraded'), h('dd', null, fmtDur(sv.degraded_s)),
						h('dt', null, 'Maintenance'), h('dd', null, fmtDur(sv.maintenance_s) + (sv.planned_down_s ? ' (down in it: ' + fmtDur(sv.planned_down_s) + ')' : '')),
						h('dt', null, 'MTTR / MTBF'), h('dd', null, fmtDur(sv.mttr_s) + ' / ' + fmtDur(sv.mtbf_s)),
						h('dt', null, 'Policy'), h('dd', null, Object.keys(sv.policy || {}).map((k) => k + ': ' + sv.policy[k]).join(', '))),
					h('h3', null, 'Timeline'),
					timelineBar(tl.segments, tl.start, tl.end, 'timeline of ' + (sv.name || sv.id) + ': ' +
						Object.keys(sum).map((k) => k + ' ' + fmtDur(sum[k])).join(', ')),
					legend(['up', 'degraded', 'down', 'maintenance', 'planned_down', 'nodata', 'outside']),
					h('h3', null, 'Incidents'),
					table(['Start', 'End', 'Down#', 'Components down at the start'],
						(sv.incidents || []).map((x) => h('tr', null, td(fmtTime(x.start)), td(fmtTime(x.end)), td(fmtDur(x.down_s), 'n'),
							td((x.components || []).join(', ')))), 'No incidents.')));
			});
			return out;
		}
	};

	const reports = {
		title: () => 'Reports',
		every: 60000,
		load: () => get('/api/v1/reports'),
		view: (list) => {
			const m = thisMonth();
			const dl = (file, fmt) => file ? h('a', { href: '/api/v1/reports/' + encodeURIComponent(file), download: file }, fmt) : null;
			return h('div', null,
				h('h2', null, 'This month so far (' + m + ')'),
				h('p', null, ['html', 'csv', 'json'].map((f, i) => [i ? ' · ' : '', h('a', { href: '/api/v1/sla?month=' + m + '&format=' + f, download: 'mxsla-sla-' + m + '-so-far.' + f }, f.toUpperCase())])),
				h('h2', null, 'Monthly reports'),
				table(['Month', 'Complete', 'Download'],
					list.map((r) => h('tr', { 'data-month': r.month }, td(h('a', { href: '#/sla?month=' + encodeURIComponent(r.month) }, r.month)),
						td(r.complete ? 'yes' : 'no'),
						td([dl(r.formats.html, 'HTML'), ' ', dl(r.formats.csv, 'CSV'), ' ', dl(r.formats.json, 'JSON')]))),
					'No report has been written yet; the collector writes one when a month is over.'));
		}
	};

	function weeklyText(w) {
		return (w.days || []).join(', ') + ' ' + (w.from || '') + '–' + (w.to || '');
	}
	const maintenance = {
		title: () => 'Maintenance windows',
		every: 10000,
		setup: (p, ctx) => {
			if (!S.session.user)
				return needLogin('add, change or delete maintenance windows');
			return h('form', { class: 'panel', id: 'mw-form', onsubmit: (e) => { e.preventDefault(); mwSubmit(ctx); } },
				h('h2', { id: 'mw-title' }, 'Add a maintenance window'),
				h('label', null, h('span', null, 'Services (comma-separated ids or globs)'), h('input', { type: 'text', id: 'mw-services', required: true, placeholder: 'mailflow, imap*' })),
				h('label', null, h('span', null, 'Start (' + S.tz + ')'), h('input', { type: 'datetime-local', id: 'mw-start', required: true })),
				h('label', null, h('span', null, 'End (' + S.tz + ')'), h('input', { type: 'datetime-local', id: 'mw-end', required: true })),
				h('label', null, h('span', null, 'Reason'), h('input', { type: 'text', id: 'mw-reason', maxlength: 500 })),
				h('div', null, h('button', { type: 'submit', id: 'mw-submit' }, 'Add'), ' ',
					h('button', { type: 'button', class: 'secondary', id: 'mw-cancel', onclick: mwReset }, 'Clear')),
				h('p', { id: 'mw-error', class: 'error-text', role: 'alert' }));
		},
		load: () => get('/api/v1/maintenance'),
		view: (d) => {
			const list = (d && d.windows) || [];
			return table(['Source', 'Services', 'When', 'Reason', 'Author', 'Active', 'Actions'],
				list.map((w) => h('tr', { 'data-id': w.id === null ? null : w.id },
					td(w.source), td((w.services || []).join(', ')),
					td(w.weekly ? 'weekly ' + weeklyText(w.weekly) : fmtTime(w.start) + ' – ' + fmtTime(w.end)),
					td(w.reason || ''), td(w.author || '—'), td(w.active ? h('strong', null, 'now') : 'no'),
					td(S.session.user && w.source === 'ui' && w.id !== null ? [
						h('button', { type: 'button', class: 'secondary', 'data-edit': w.id, onclick: () => mwEdit(w) }, 'Edit'),
						h('button', { type: 'button', class: 'danger', 'data-delete': w.id, onclick: () => mwDelete(w) }, 'Delete')] :
						w.source === 'config' ? h('span', { class: 'muted' }, 'collector.yaml') : null, 'actions'))),
				'No maintenance windows.');
		}
	};
	function mwReset() {
		const f = $('mw-form');
		if (!f)
			return;
		delete f.dataset.id;
		f.reset();
		$('mw-title').textContent = 'Add a maintenance window';
		$('mw-submit').textContent = 'Add';
		$('mw-error').textContent = '';
	}
	function mwEdit(w) {
		const f = $('mw-form');
		f.dataset.id = w.id;
		$('mw-title').textContent = 'Change maintenance window ' + w.id;
		$('mw-submit').textContent = 'Save';
		$('mw-services').value = (w.services || []).join(', ');
		$('mw-start').value = w.start ? wallInput(w.start) : '';
		$('mw-end').value = w.end ? wallInput(w.end) : '';
		$('mw-reason').value = w.reason || '';
		$('mw-error').textContent = '';
		$('mw-services').focus();
	}
	async function mwSubmit(ctx) {
		const f = $('mw-form'), id = f.dataset.id;
		const body = {
			services: $('mw-services').value.split(',').map((x) => x.trim()).filter((x) => x),
			start: $('mw-start').value.replace('T', ' '),
			end: $('mw-end').value.replace('T', ' '),
			reason: $('mw-reason').value
		};
		try {
			if (id)
				await api('PUT', '/api/v1/maintenance/' + encodeURIComponent(id), body);
			else
				await api('POST', '/api/v1/maintenance', body);
			notice(id ? 'Maintenance window changed.' : 'Maintenance window added.');
			mwReset();
			ctx.reload();
		} catch (e) {
			$('mw-error').textContent = 'Not saved: ' + e.message + (e.body && e.body.path ? ' (' + e.body.path + ')' : '');
		}
	}
	async function mwDelete(w) {
		if (!window.confirm('Delete the maintenance window for ' + (w.services || []).join(', ') + '?'))
			return;
		try {
			await api('DELETE', '/api/v1/maintenance/' + encodeURIComponent(w.id));
			notice('Maintenance window deleted.');
			if (S.page)
				S.page.ctx.reload();
		} catch (e) {
			notice('Not deleted: ' + e.message, true);
		}
	}

	const login = {
		title: () => 'Log in',
		setup: () => {
			if (S.session.user)
				return h('p', null, 'You are logged in as ', h('strong', null, S.session.user), '.');
			if (!S.session.login_enabled)
				return h('p', null, 'No users are configured (ui.users in collector.yaml), so the interface is read-only.');
			return h('form', { class: 'panel', id: 'login-form', onsubmit: loginSubmit },
				h('label', null, h('span', null, 'User'), h('input', { type: 'text', id: 'login-user', name: 'user', autocomplete: 'username', required: true })),
				h('label', null, h('span', null, 'Password'), h('input', { type: 'password', id: 'login-password', name: 'password', autocomplete: 'current-password', required: true })),
				h('div', null, h('button', { type: 'submit', id: 'login-submit' }, 'Log in')),
				h('p', { id: 'login-error', class: 'error-text', role: 'alert' }));
		}
	};
	async function loginSubmit(e) {
		e.preventDefault();
		try {
			const j = await api('POST', '/api/v1/login', { user: $('login-user').value, password: $('login-password').value });
			S.session.user = j.user;
			S.session.csrf = j.csrf;
			drawUser();
			notice('Logged in as ' + j.user + '.');
			location.hash = S.after && S.after !== '#/login' ? S.after : '#/overview';
		} catch (err) {
			$('login-error').textContent = err.status === 401 ? 'Wrong user or password.' :
				err.status === 429 ? 'Too many attempts; wait a minute and try again.' : 'Login failed: ' + err.message;
		}
	}

	const notFound = { title: () => 'Not found', setup: () => h('p', null, 'There is no such page. ', h('a', { href: '#/overview' }, 'Overview')) };

	/* ---- router and live refresh ---- */
	function route() {
		const raw = location.hash.replace(/^#\/?/, '');
		const qi = raw.indexOf('?');
		const path = qi < 0 ? raw : raw.slice(0, qi);
		const query = new URLSearchParams(qi < 0 ? '' : raw.slice(qi + 1));
		const seg = path.split('/').filter((x) => x !== '').map((x) => {
			try {
				return decodeURIComponent(x);
			} catch (e) {
				return x;
			}
		});
		const name = seg[0] || 'overview';
		let def = null, nav = name;
		if (name === 'overview' && seg.length === 1 || seg.length === 0) def = overview;
		else if (name === 'servers' && seg.length === 1) def = servers;
		else if (name === 'servers' && seg.length === 2) def = server;
		else if (name === 'check' && seg.length === 3) { def = check; nav = 'servers'; }
		else if (name === 'violations') def = violations;
		else if (name === 'findings') def = findings;
		else if (name === 'sla') def = sla;
		else if (name === 'reports') def = reports;
		else if (name === 'maintenance') def = maintenance;
		else if (name === 'login') def = login;
		else def = notFound;
		return { def: def, params: seg.slice(1), query: query, name: seg.length ? name : 'overview', nav: nav };
	}

	async function show() {
		const r = route(), my = ++S.seq;
		if (r.name !== 'login')
			S.after = location.hash || '#/overview';
		for (const a of document.querySelectorAll('.top nav a'))
			if (a.dataset.page === r.nav)
				a.setAttribute('aria-current', 'page');
			else
				a.removeAttribute('aria-current');
		const main = $('main');
		const live = h('div', { class: 'live', 'aria-live': 'off' });
		const title = r.def.title(r.params);
		const pg = { def: r.def, params: r.params, live: live, last: undefined, sig: null, at: 0, busy: false, my: my };
		const ctx = {
			query: r.query,
			reload: () => refresh(pg, true),
			redraw: () => { if (pg.last !== undefined) draw(pg, pg.last); }
		};
		pg.ctx = ctx;
		S.page = pg;
		document.title = title + ' · mxsla';
		main.dataset.page = r.name;
		delete main.dataset.loaded;
		const h1 = h('h1', { tabindex: '-1' }, title);
		main.replaceChildren(h1);
		if (r.def.setup)
			add(main, [r.def.setup(r.params, ctx)]);
		main.append(live);
		h1.focus({ preventScroll: true });
		if (r.def.load)
			await refresh(pg, true);
		else
			main.dataset.loaded = r.name;
	}
	/* A redraw replaces the nodes under the keyboard focus; the focus moves
	   to the element of the new view that looks the same (same tag, link,
	   data attributes and text), so that tabbing through a live table works. */
	function focusKey(e) {
		const d = Object.keys(e.dataset || {}).map((k) => k + '=' + e.dataset[k]).join(',');
		return e.tagName + '|' + (e.getAttribute('href') || '') + '|' + d + '|' + e.textContent;
	}
	function draw(pg, data) {
		const f = document.activeElement;
		const key = f && f !== pg.live && pg.live.contains(f) ? focusKey(f) : null;
		pg.live.replaceChildren(pg.def.view(data, pg.params, pg.ctx));
		if (key)
			for (const e of pg.live.querySelectorAll('a, button, input, select, textarea'))
				if (focusKey(e) === key) {
					e.focus({ preventScroll: true });
					break;
				}
	}
	async function refresh(pg, force) {
		if (pg.busy && !force)
			return;
		pg.busy = true;
		pg.at = Date.now();
		let data;
		try {
			data = await pg.def.load(pg.params, pg.ctx);
		} catch (e) {
			pg.busy = false;
			if (S.page === pg) {
				notice('Could not load the data: ' + e.message, true);
				pg.live.dataset.error = '1';
				$('main').dataset.loaded = $('main').dataset.page;
			}
			return;
		}
		pg.busy = false;
		if (S.page !== pg)
			return;
		if ($('notice').classList.contains('error'))
			notice('');
		const sig = JSON.stringify(data);
		$('updated').textContent = 'Updated ' + fmtTime(Math.floor(Date.now() / 1000)) + ' (' + S.tz + ').';
		if (sig === pg.sig)
			return;
		pg.sig = sig;
		pg.last = data;
		draw(pg, data);
		const main = $('main');
		if (!main.dataset.loaded) {
			main.dataset.loaded = main.dataset.page;
			if (window.performance && performance.mark)
				performance.mark('mxsla-render-' + main.dataset.page);
		}
	}
	function tick() {
		const pg = S.page;
		if (!pg || !pg.def.load || document.hidden)
			return;
		if (Date.now() - pg.at >= (pg.def.every || 5000))
			refresh(pg, false);
	}

	async function start() {
		await loadSession();
		window.addEventListener('hashchange', () => { notice(''); show(); });
		document.addEventListener('visibilitychange', tick);
		setInterval(tick, 500);
		if (!location.hash)
			history.replaceState(null, '', '#/overview');
		show();
	}
	if (document.readyState === 'loading')
		document.addEventListener('DOMContentLoaded', start);
	else
		start();
})();
