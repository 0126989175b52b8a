#!/usr/bin/env node
/*
 * ui-render.js - time to first render of web UI pages in headless
 * Chromium (see ui-render.sh).  For each page, RUNS fresh loads; each
 * figure is the time from navigation start to the page's performance mark
 * "mxsla-render-PAGE" (set once the page has drawn its data), or to the
 * load event for /status.  Prints min / median / max in milliseconds.
 * Usage: NODE_PATH=$(npm root -g) RUNS=7 node ui-render.js URL
 */
'use strict';

const { chromium } = require('playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

const URL_ = process.argv[2];
const RUNS = Number(process.env.RUNS || 7);
const PAGES = [
	['overview: DOMContentLoaded', '/#/overview', null],
	['overview', '/#/overview', 'overview'],
	['servers (all checks)', '/#/servers', 'servers'],
	['one server (500 checks)', '/#/servers/mbx01', 'servers'],
	['/status (server-rendered)', '/status', null]
];

function median(v) {
	const s = v.slice().sort((a, b) => a - b);
	return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main() {
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mxsla-chromium-'));
	const ctx = await chromium.launchPersistentContext(profile, {
		executablePath: '/usr/bin/chromium', headless: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
		viewport: { width: 1280, height: 900 }
	});
	try {
		const page = ctx.pages()[0] || await ctx.newPage();
		console.log('page                            min ms  median ms  max ms  (runs: ' + RUNS + ')');
		for (const [label, p, name] of PAGES) {
			const t = [];
			for (let i = 0; i < RUNS + 1; i++) {
				await page.goto('about:blank');
				await page.goto(URL_ + p, { waitUntil: name ? 'commit' : 'load' });
				let ms;
				if (name) {
					await page.waitForFunction((n) => performance.getEntriesByName('mxsla-render-' + n).length > 0, name, { timeout: 60000, polling: 10 });
					ms = await page.evaluate((n) => performance.getEntriesByName('mxsla-render-' + n)[0].startTime, name);
				} else if (p.startsWith('/#')) {
					/* the script has run; what follows is the API and drawing */
					ms = await page.evaluate(() => performance.getEntriesByType('navigation')[0].domContentLoadedEventStart);
				} else {
					ms = await page.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventStart);
				}
				if (i > 0)          /* the first load warms the caches */
					t.push(ms);
			}
			console.log(label.padEnd(30) + Math.min(...t).toFixed(0).padStart(8) + median(t).toFixed(0).padStart(11) + Math.max(...t).toFixed(0).padStart(8));
		}
	} finally {
		await ctx.close();
		fs.rmSync(profile, { recursive: true, force: true });
	}
}
main().catch((e) => { console.error(e); process.exit(1); });
