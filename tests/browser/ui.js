#!/usr/bin/env node
/*
 * ui.js - the web UI in headless Chromium against a real collector fed by
 * tests/browser/fixture.sh.  Prints TAP; exits 1 when a test failed.
 *
 * Usage: NODE_PATH=$(npm root -g) node ui.js URL
 * Environment: UI_USER, UI_PASS (a user of the collector's ui.users),
 * TOKEN_HUB (the ingest token of agent hub01, for the live update test).
 *
 * Proves: every page loads without console errors or CSP violations and
 * shows the fed data; markup in a check message is shown as text; login,
 * acknowledging a violation and adding, changing and deleting a
 * maintenance window work through the page; a write without the CSRF
 * header is refused with 403; a critical result fed while the overview is
 * open appears there within a few seconds without a reload.
 */
'use strict';

const { chromium } = require('playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

const URL_ = process.argv[2];
const USER = process.env.UI_USER || 'admin';
const PASS = process.env.UI_PASS || '';
const TOKEN_HUB = process.env.TOKEN_HUB || '';

let n = 0, failed = 0;
function ok(cond, name, diag) {
	n++;
	console.log((cond ? 'ok ' : 'not ok ') + n + ' - ' + name);
	if (!cond) {
		failed++;
		if (diag)
			console.log('#   ' + String(diag).split('\n').join('\n#   '));
	}
}

const PAGES = [
	{ hash: '#/overview', name: 'overview', expect: ['Internal mail flow', 'Mailbox access (IMAP)', 'mbx01', 'hub01', 'edge01', 'imap.up on imap'] },
	{ hash: '#/servers', name: 'servers', expect: ['mbx01', 'hub01', 'edge01', 'dc2', 'mailbox'] },
	{ hash: '#/servers/mbx01', name: 'servers', expect: ['imap.up@imap', 'disk.free@/var', 'login_ms=5000', 'login failed'] },
	{ hash: '#/check/hub01/queue.deferred%40queue', name: 'check', expect: ['deferred', 'oldest_s', '150 messages deferred', 'warning'] },
	{ hash: '#/violations', name: 'violations', expect: ['imap.up on imap', 'queue.deferred on queue', '9 % free', 'open'] },
	{ hash: '#/findings', name: 'findings', expect: ['Critical issues (1)', 'Warnings (1)', 'TLS on submission', 'Offer STARTTLS on the submission port', 'https://www.postfix.org/TLS_README.html', 'DOMAIN.md §4'] },
	{ hash: '#/sla', name: 'sla', expect: ['Internal mail flow', 'Mailbox access (IMAP)', 'Europe/Berlin', 'Timeline', 'Incidents'] },
	{ hash: '#/reports', name: 'reports', expect: ['Monthly reports', 'HTML', 'CSV', 'JSON'] },
	{ hash: '#/maintenance', name: 'maintenance', expect: ['weekly backup window', 'storage migration', 'weekly ' + process.env.FIX_WEEKLY_DAY + ' 02:00–03:00', 'config'] },
	{ hash: '#/login', name: 'login', expect: ['Password'] }
];

async function loaded(page, name) {
	await page.waitForSelector('main[data-loaded="' + name + '"]', { timeout: 10000 });
}
async function mainText(page) {
	return page.$eval('main', (m) => m.innerText);
}

async function main() {
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mxsla-chromium-'));
	const ctx = await chromium.launchPersistentContext(profile, {
		executablePath: '/usr/bin/chromium',
		headless: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
		viewport: { width: 1280, height: 900 }
	});
	try {
		await run(ctx);
	} finally {
		await ctx.close();
		fs.rmSync(profile, { recursive: true, force: true });
	}
}

async function run(ctx) {
	const page = ctx.pages()[0] || await ctx.newPage();
	let errors = [];
	page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(m.type() + ': ' + m.text()); });
	page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
	page.on('dialog', (d) => d.accept());
	await page.addInitScript(() => {
		window.__csp = [];
		document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
	});

	/* every page, read-only */
	const resp = await page.goto(URL_ + '/#/overview');
	const csp = resp.headers()['content-security-policy'] || '';
	ok(csp === "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
		'the page is served with the strict Content-Security-Policy', csp);
	for (const p of PAGES) {
		errors = [];
		await page.goto(URL_ + '/' + p.hash);
		let text = '';
		try {
			await loaded(page, p.name);
			text = await mainText(page);
		} catch (e) {
			text = 'not loaded: ' + e.message;
		}
		const missing = p.expect.filter((x) => !text.includes(x));
		ok(missing.length === 0, p.hash + ' shows the fed data', 'missing: ' + JSON.stringify(missing) + '\n' + text.slice(0, 2000));
		const cspv = await page.evaluate(() => window.__csp);
		ok(errors.length === 0 && cspv.length === 0, p.hash + ' loads without console errors or CSP violations',
			errors.concat(cspv).join('\n'));
	}

	/* the check page draws its chart and state bar */
	await page.goto(URL_ + '/#/check/hub01/queue.deferred%40queue');
	await loaded(page, 'check');
	const chart = await page.evaluate(() => ({
		lines: document.querySelectorAll('svg.chart path.line').length,
		d: (document.querySelector('svg.chart path.line') || { getAttribute: () => '' }).getAttribute('d'),
		segs: document.querySelectorAll('svg.bar rect.seg-degraded').length
	}));
	ok(chart.lines === 2 && (chart.d.match(/L/g) || []).length === 12 && chart.segs >= 1,
		'the check page draws one line of 13 points per metric and the warning time on its state bar', JSON.stringify(chart));

	/* the SLA page draws a timeline per service */
	await page.goto(URL_ + '/#/sla');
	await loaded(page, 'sla');
	const bars = await page.evaluate(() => [...document.querySelectorAll('section.service')].map((s) =>
		s.dataset.service + ':' + s.querySelectorAll('svg.bar rect.seg-down').length));
	ok(JSON.stringify(bars) === '["mailflow:0","imap:1"]', 'the SLA page shows a timeline per service, imap with its down time', JSON.stringify(bars));

	/* a reference from an agent is a link only when it is an http(s) URL */
	await page.goto(URL_ + '/#/findings');
	await loaded(page, 'findings');
	const refs = await page.evaluate(() => ({
		links: [...document.querySelectorAll('a')].filter((a) => !/^(https?:|#|\/)/.test(a.getAttribute('href') || '#')).length,
		text: document.body.textContent.includes('javascript:window.__xss=3'),
		http: !!document.querySelector('a[href="https://www.postfix.org/TLS_README.html"]')
	}));
	ok(refs.links === 0 && refs.text && refs.http,
		'a javascript: reference is shown as text, an https reference as a link', JSON.stringify(refs));

	/* findings grouped by server */
	await page.goto(URL_ + '/#/findings');
	await loaded(page, 'findings');
	await page.check('#group-server');
	const byServer = await page.$$eval('section[data-agent]', (ss) => ss.map((x) => x.querySelector('h2').textContent + ':' +
		[...x.querySelectorAll('.finding h3')].map((f) => f.textContent).join('/')));
	ok(JSON.stringify(byServer) === '["mbx01 (2):critical TLS on submission/warning Backup age"]',
		'findings grouped by server list each server\'s findings, the most severe first', JSON.stringify(byServer));

	/* markup in a message is text */
	await page.goto(URL_ + '/#/servers/mbx01');
	await loaded(page, 'servers');
	const xss = await page.evaluate(() => ({
		flag: window.__xss === undefined,
		injected: document.querySelectorAll('main script, main img').length,
		text: [...document.querySelectorAll('td.msg')].map((t) => t.textContent).join('|')
	}));
	ok(xss.flag && xss.injected === 0 && xss.text.includes('<script>window.__xss=1</script><img src=x onerror="window.__xss=2"> login failed'),
		'a check message with <script> and <img onerror> is shown as text and never runs', JSON.stringify(xss));

	/* reports: the links download the files the collector wrote */
	await page.goto(URL_ + '/#/reports');
	await loaded(page, 'reports');
	const links = await page.$$eval('tr[data-month] a[download]', (as) => as.map((a) => a.getAttribute('href')));
	const fetched = await page.evaluate(async (hrefs) => Promise.all(hrefs.map(async (h) => {
		const r = await fetch(h);
		return r.status + ' ' + (r.headers.get('content-type') || '').split(';')[0];
	})), links);
	ok(links.length === 3 && JSON.stringify(fetched) === '["200 text/html","200 text/csv","200 application/json"]',
		'the reports page links last month\'s html, csv and json', JSON.stringify([links, fetched]));

	/* live: a critical result fed while the overview is open shows up without a reload */
	await page.goto(URL_ + '/#/overview');
	await loaded(page, 'overview');
	await page.evaluate(() => { window.__noReload = 1; });
	const ts = Math.floor(Date.now() / 1000);
	const fed = await fetch(URL_ + '/api/v1/results', {
		method: 'POST',
		headers: { Authorization: 'Bearer ' + TOKEN_HUB, 'Content-Type': 'application/json' },
		body: JSON.stringify({ agent: 'hub01', site: 'dc2', roles: ['hub'], stream: 'ui-live', batch: 1,
			results: [{ check: 'service.submission@587', rule: 'service.submission', target: '587', kind: 'health', ts: ts,
				interval: 300, status: 'critical', message: 'connection refused on 587', title: 'live submission probe' }] })
	});
	const t0 = Date.now();
	let seen = false;
	try {
		await page.waitForFunction(() => document.querySelector('main').innerText.includes('live submission probe'), null, { timeout: 6000, polling: 100 });
		seen = true;
	} catch (e) {
		seen = false;
	}
	const secs = (Date.now() - t0) / 1000;
	const same = await page.evaluate(() => window.__noReload === 1);
	const crit = await page.$eval('#card-critical .big', (e) => e.textContent);
	ok(fed.status === 200 && seen && same && crit === '2',
		'a critical result fed after the overview opened shows up in ' + secs.toFixed(1) + ' s without a reload (2 critical)',
		JSON.stringify({ status: fed.status, seen, same, crit }));
	console.log('# live update seen after ' + secs.toFixed(1) + ' s');

	/* a redraw keeps the keyboard focus on the same link */
	await page.focus('main .live table:last-of-type a[href="#/servers/hub01"]');
	await page.evaluate(() => { window.__before = document.activeElement; });
	const kept = await page.waitForFunction(() => window.__before && !window.__before.isConnected, null, { timeout: 6000 })
		.then(() => page.evaluate(() => document.activeElement.tagName + ' ' + document.activeElement.getAttribute('href')), () => 'no redraw');
	ok(kept === 'A #/servers/hub01', 'a live redraw keeps the keyboard focus on the same link', kept);

	/* login */
	errors = [];
	await page.goto(URL_ + '/#/login');
	await loaded(page, 'login');
	await page.fill('#login-user', USER);
	await page.fill('#login-password', 'wrong password');
	await page.click('#login-submit');
	await page.waitForFunction(() => document.getElementById('login-error').textContent !== '', null, { timeout: 5000 }).catch(() => {});
	ok((await page.textContent('#login-error')) === 'Wrong user or password.', 'a wrong password is refused with a message');
	await page.fill('#login-password', PASS);
	await page.click('#login-submit');
	let user = '';
	try {
		await page.waitForSelector('#logout', { timeout: 5000 });
		user = await page.textContent('#user strong');
	} catch (e) {
		user = 'not logged in: ' + e.message;
	}
	ok(user === USER, 'logging in through the form shows the user in the header', user);
	const cookies = await ctx.cookies(URL_);
	const sc = cookies.find((c) => c.name === 'mxsla_session');
	ok(sc && sc.httpOnly && sc.sameSite === 'Strict', 'the session cookie is HttpOnly and SameSite=Strict', JSON.stringify(cookies));

	/* CSRF: a write from the page with the cookie but without the header */
	const csrf = await page.evaluate(async () => {
		const body = JSON.stringify({ services: ['imap'], start: 1900000000, end: 1900003600, reason: 'csrf' });
		const r1 = await fetch('/api/v1/maintenance', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body });
		const r2 = await fetch('/api/v1/maintenance', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': 'forged' }, body: body });
		const list = await (await fetch('/api/v1/maintenance')).json();
		return [r1.status, r2.status, list.windows.filter((w) => w.reason === 'csrf').length];
	});
	ok(JSON.stringify(csrf) === '[403,403,0]', 'a write without the CSRF header (or with a wrong one) is 403 and stores nothing', JSON.stringify(csrf));

	/* acknowledge the open imap violation */
	await page.goto(URL_ + '/#/violations');
	await loaded(page, 'violations');
	const row = page.locator('tr', { hasText: 'imap.up on imap' }).filter({ hasText: 'open' }).first();
	await row.locator('button[data-ack]').click();
	await page.fill('#ack-comment', 'known: <b>storage</b> failover in progress');
	await page.click('#ack-submit');
	let ackShown = '';
	try {
		await page.waitForFunction(() => [...document.querySelectorAll('.ack')].some((a) => a.textContent.includes('failover in progress')), null, { timeout: 5000 });
		ackShown = await page.locator('.ack', { hasText: 'failover' }).first().textContent();
	} catch (e) {
		ackShown = 'not shown: ' + e.message;
	}
	ok(ackShown.startsWith('Acknowledged by ' + USER) && ackShown.includes('known: <b>storage</b> failover in progress'),
		'acknowledging through the form shows who and the comment (as text)', ackShown);
	const apiAck = await page.evaluate(async () => {
		const v = await (await fetch('/api/v1/violations?open=1')).json();
		const x = v.find((y) => y.check === 'imap.up@imap');
		return x && x.ack ? x.ack.user + ': ' + x.ack.comment : null;
	});
	ok(apiAck === USER + ': known: <b>storage</b> failover in progress', 'the acknowledgement is stored', apiAck);

	/* maintenance: add, change, delete */
	await page.goto(URL_ + '/#/maintenance');
	await loaded(page, 'maintenance');
	await page.fill('#mw-services', 'mailflow, imap');
	await page.fill('#mw-start', '2031-03-01T22:00');
	await page.fill('#mw-end', '2031-03-02T01:30');
	await page.fill('#mw-reason', 'kernel update');
	await page.click('#mw-submit');
	const added = await page.waitForSelector('tr:has-text("kernel update")', { timeout: 5000 }).then(() => true, () => false);
	const addedRow = added ? await page.locator('tr', { hasText: 'kernel update' }).innerText() : '';
	ok(added && addedRow.includes('mailflow, imap') && addedRow.includes('2031-03-01 22:00:00 – 2031-03-02 01:30:00') && addedRow.includes(USER),
		'a maintenance window added through the form is listed in the collector\'s time zone', addedRow);
	const stored = await page.evaluate(async () => {
		const w = (await (await fetch('/api/v1/maintenance')).json()).windows.find((x) => x.reason === 'kernel update');
		return w ? [w.start, w.end] : null;
	});
	/* 2031-03-01 22:00 CET = 21:00 UTC */
	ok(JSON.stringify(stored) === JSON.stringify([Date.UTC(2031, 2, 1, 21, 0) / 1000, Date.UTC(2031, 2, 2, 0, 30) / 1000]),
		'the wall-clock times were taken in Europe/Berlin', JSON.stringify(stored));
	if (added) {
		await page.locator('tr', { hasText: 'kernel update' }).locator('button[data-edit]').click();
		await page.fill('#mw-reason', 'kernel and firmware update');
		await page.fill('#mw-end', '2031-03-02T03:00');
		await page.click('#mw-submit');
	}
	const changed = await page.waitForSelector('tr:has-text("kernel and firmware update")', { timeout: 5000 }).then(() => true, () => false);
	const changedRow = changed ? await page.locator('tr', { hasText: 'kernel and firmware update' }).innerText() : '';
	ok(changed && changedRow.includes('2031-03-02 03:00:00') && !(await mainText(page)).includes('kernel update\t'),
		'changing the window through the form replaces it', changedRow);
	if (changed)
		await page.locator('tr', { hasText: 'kernel and firmware update' }).locator('button[data-delete]').click();
	const gone = await page.waitForFunction(() => !document.querySelector('main').innerText.includes('firmware'), null, { timeout: 5000 }).then(() => true, () => false);
	const left = await page.evaluate(async () => (await (await fetch('/api/v1/maintenance')).json()).windows.length);
	ok(changed && gone && left === 2, 'deleting it through the page removes it (the two config windows stay)', 'left ' + left);
	ok(errors.filter((e) => !/status of 40[13] /.test(e)).length === 0, 'the write flows log no console errors besides the refused login and writes',
		errors.join('\n'));

	/* logout */
	await page.click('#logout');
	const out = await page.waitForSelector('#login-link', { timeout: 5000 }).then(() => true, () => false);
	const after = await page.evaluate(async () => (await (await fetch('/api/v1/session')).json()).user);
	ok(out && after === null, 'logging out ends the session', String(after));
}

if (!URL_) {
	console.error('usage: ui.js URL');
	process.exit(2);
}
main().then(() => {
	console.log('1..' + n);
	process.exit(failed ? 1 : 0);
}, (e) => {
	console.log('not ok ' + (n + 1) + ' - the browser test ran to its end');
	console.log('# ' + String(e.stack || e).split('\n').join('\n# '));
	console.log('1..' + (n + 1));
	process.exit(1);
});
