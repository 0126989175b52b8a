#!/usr/bin/env node
/*
 * screenshots.js - one full-page PNG per page of the web UI.
 * Usage: NODE_PATH=$(npm root -g) node screenshots.js URL OUTDIR
 * (UI_USER / UI_PASS: a user to log in as for the pages with forms;
 * SLA_MONTH: the month the SLA page shows, this month by default).
 */
'use strict';

const { chromium } = require('playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

const [URL_, OUT] = process.argv.slice(2);
const SHOTS = [
	['overview', '#/overview', 'overview'],
	['servers', '#/servers', 'servers'],
	['server', '#/servers/mbx01', 'servers'],
	['check', '#/check/hub02/queue.deferred%40queue', 'check'],
	['violations', '#/violations', 'violations'],
	['findings', '#/findings', 'findings'],
	['sla', '#/sla' + (process.env.SLA_MONTH ? '?month=' + process.env.SLA_MONTH : ''), 'sla'],
	['reports', '#/reports', 'reports'],
	['login', '#/login', 'login'],
	['maintenance', '#/maintenance', 'maintenance']
];

async function main() {
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mxsla-chromium-'));
	const ctx = await chromium.launchPersistentContext(profile, {
		executablePath: '/usr/bin/chromium', headless: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
		viewport: { width: 1280, height: 800 }
	});
	try {
		const page = ctx.pages()[0] || await ctx.newPage();
		for (const [file, hash, name] of SHOTS) {
			if (file === 'maintenance' && process.env.UI_PASS) {
				await page.goto(URL_ + '/#/login');
				await page.waitForSelector('#login-user');
				await page.fill('#login-user', process.env.UI_USER || 'admin');
				await page.fill('#login-password', process.env.UI_PASS);
				await page.click('#login-submit');
				await page.waitForSelector('#logout');
			}
			await page.goto(URL_ + '/' + hash);
			await page.waitForSelector('main[data-loaded="' + name + '"]', { timeout: 10000 });
			await page.screenshot({ path: path.join(OUT, file + '.png'), fullPage: true });
			console.log(path.join(OUT, file + '.png'));
		}
	} finally {
		await ctx.close();
		fs.rmSync(profile, { recursive: true, force: true });
	}
}
main().catch((e) => { console.error(e); process.exit(1); });
