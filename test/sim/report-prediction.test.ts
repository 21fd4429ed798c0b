/**
 * `lapwing report --predict` of a real traced run: the page shows the simulator's prediction
 * beside what the run measured, checked in a real headless Chromium like the report's own
 * browser test (skipped without /usr/bin/chromium unless LAPWING_REQUIRE_BROWSER=1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { runCli } from '../cli.ts';

const CHROMIUM = '/usr/bin/chromium';
const required = process.env.LAPWING_REQUIRE_BROWSER === '1';
const skip = !existsSync(CHROMIUM) && !required ? `${CHROMIUM} not found: browser test skipped (set LAPWING_REQUIRE_BROWSER=1 to fail instead)` : false;

test('report --predict of a real traced run shows predicted beside measured', { skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lapwing-predict-'));
  try {
    const trace = join(dir, 'run.jsonl');
    const run = await runCli(['cholesky', '--n', '1024', '--block', '256', '--workers', '2', '--trace', trace, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const measured = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { wall_s: number; tasks: number };
    const html = join(dir, 'run.html');
    const rep = await runCli(['report', trace, '--predict', 'local', '-o', html]);
    assert.equal(rep.code, 0, rep.stderr);
    // Without --predict there is no such section.
    const plain = await runCli(['report', trace, '-o', join(dir, 'plain.html')]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.ok(!(await readFile(join(dir, 'plain.html'), 'utf8')).includes('id="prediction"'));

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
      const section = page.locator('section#prediction');
      assert.equal(await section.count(), 1);
      assert.ok(await section.isVisible());
      const row = (q: string) => page.locator(`table.prediction tr[data-quantity="${q}"]`);
      // Measured figures are the run's own; predicted ones come from a simulation of its setting.
      const wall = row('wall');
      assert.ok(Math.abs(Number(await wall.getAttribute('data-measured')) - measured.wall_s) < 0.01 * measured.wall_s + 0.01);
      const predictedWall = Number(await wall.getAttribute('data-predicted'));
      assert.ok(predictedWall > 0 && Number.isFinite(predictedWall), `predicted wall ${predictedWall}`);
      assert.equal(Number(await row('tasks').getAttribute('data-predicted')), measured.tasks);
      assert.equal(Number(await row('tasks').getAttribute('data-measured')), measured.tasks);
      assert.match((await wall.textContent()) ?? '', /×$/);
      // The local profile runs no AWS services: no predicted cost.
      assert.equal(await row('cost').getAttribute('data-predicted'), null);
      assert.match((await section.textContent()) ?? '', /lapwing simulate cholesky --n 1024 --block 256 --workers 2 --profile local/);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
