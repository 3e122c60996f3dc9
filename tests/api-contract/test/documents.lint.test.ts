import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { lintFromString, loadConfig } from '@redocly/openapi-core';
import { SERVICE_NAMES } from '@shop/catalog';
import { startShop, type ShopUnderContract } from './shop-under-contract';

/** tests/api-contract/redocly.yaml: the recommended ruleset, and why a rule is off. */
const REDOCLY_CONFIG = join(__dirname, '..', '..', 'redocly.yaml');

/**
 * Each service's OpenAPI document as the running service serves it: linted by Redocly with no
 * problem left, and its reference page made of this service's own files.
 */
describe("each service's OpenAPI document and reference page", () => {
  let shop: ShopUnderContract;

  before(async () => {
    shop = await startShop('apidocs');
  });
  after(async () => {
    await shop?.stop();
  });

  for (const name of SERVICE_NAMES) {
    test(`when the ${name} service's /openapi.json is linted with Redocly's recommended rules, then it has no problem`, async () => {
      const response = await fetch(`${shop.urls[name]}/openapi.json`);
      assert.equal(response.status, 200);
      const source = await response.text();
      const problems = await lintFromString({
        source,
        absoluteRef: `${name}/openapi.json`,
        config: await loadConfig({ configPath: REDOCLY_CONFIG }),
      });
      const described = problems.map(
        ({ severity, ruleId, message, location }) => `${severity} ${ruleId}: ${message} at ${location[0]?.pointer ?? '#'}`,
      );
      assert.deepEqual(described, []);
    });
  }

  for (const name of SERVICE_NAMES) {
    test(`when the ${name} service's /docs is asked for, then it is HTML whose scripts all come from the service and load`, async () => {
      const base = shop.urls[name];
      const response = await fetch(`${base}/docs`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
      // helmet's policy is what keeps the page's scripts same-origin in a browser.
      assert.match(response.headers.get('content-security-policy') ?? '', /script-src 'self'(;|$)/);
      const html = await response.text();

      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
      assert.ok(scripts.length >= 2, 'Swagger UI and its initializer');
      const sources = scripts.map(([, attributes = '', content = '']) => {
        assert.equal(content.trim(), '', 'no inline script');
        const src = /\bsrc="([^"]+)"/.exec(attributes)?.[1];
        assert.ok(src, `a script without src: <script${attributes}>`);
        return src;
      });
      const stylesheets = [...html.matchAll(/<link\b[^>]*\bhref="([^"]+)"/gi)].map(([, href = '']) => href);
      for (const source of [...sources, ...stylesheets]) {
        const url = new URL(source, `${base}/docs`);
        assert.equal(url.origin, new URL(base).origin, `${source} is not same-origin`);
        const asset = await fetch(url);
        assert.equal(asset.status, 200, `${source} answered ${asset.status}`);
        // helmet sends nosniff, so a browser runs a script only when it is served as JavaScript.
        if (sources.includes(source)) assert.match(asset.headers.get('content-type') ?? '', /javascript/, source);
        await asset.arrayBuffer();
      }
      // The initializer points Swagger UI at this service's own document.
      const initializer = await (await fetch(new URL(sources.at(-1)!, base))).text();
      assert.match(initializer, /url: '\/openapi\.json'/);
    });
  }
});
