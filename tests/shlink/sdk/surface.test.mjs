// Every operation of the real @shlinkio/shlink-js-sdk against a live `shorturl serve`.
// Run by tests/shlink/test_sdk.py, which starts the server and passes, in the environment:
// SHORTURL_URL, SHLINK_ADMIN_KEY (an admin's key), SHLINK_USER_KEY and SHLINK_OTHER_KEY
// (two ordinary users), SHLINK_READONLY_KEY (a read-only key of the first user).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { test } from 'node:test';

import { ShlinkApiClient } from '@shlinkio/shlink-js-sdk';
import { ErrorType } from '@shlinkio/shlink-js-sdk/api-contract';
import { FetchHttpClient } from '@shlinkio/shlink-js-sdk/fetch';

const baseUrl = process.env.SHORTURL_URL;
const host = new URL(baseUrl).host;
const client = (apiKey) => new ShlinkApiClient(new FetchHttpClient(), { baseUrl, apiKey });
const admin = client(process.env.SHLINK_ADMIN_KEY);
const user = client(process.env.SHLINK_USER_KEY);
const other = client(process.env.SHLINK_OTHER_KEY);
const readOnly = client(process.env.SHLINK_READONLY_KEY);

const unique = (prefix) => `${prefix}-${randomBytes(4).toString('hex')}`;
const HUMAN = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const BOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const ATOM = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/;

/** The SDK throws the problem+json body itself: check its members. */
async function rejectsWith(promise, type, status) {
  try {
    await promise;
  } catch (problem) {
    assert.equal(problem.type, type, JSON.stringify(problem));
    assert.equal(problem.status, status);
    assert.equal(typeof problem.title, 'string');
    assert.equal(typeof problem.detail, 'string');
    return problem;
  }
  assert.fail(`expected a ${type} problem`);
}

async function visit(code, userAgent = HUMAN, times = 1) {
  for (let i = 0; i < times; i += 1) {
    const response = await fetch(`${baseUrl}/${code}`, {
      redirect: 'manual',
      headers: { 'User-Agent': userAgent },
    });
    assert.ok([301, 302, 307, 308].includes(response.status), `redirect of ${code}: ${response.status}`);
  }
}

/** Clicks are stored by the worker a little after the redirect: wait for them. */
async function visitsSettle(code, total) {
  const deadline = Date.now() + 15000;
  for (;;) {
    const shortUrl = await user.getShortUrl({ shortCode: code });
    if (shortUrl.visitsSummary.total === total) {
      return shortUrl;
    }
    assert.ok(Date.now() < deadline, `visits of ${code}: ${JSON.stringify(shortUrl.visitsSummary)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('health answers pass, with or without a valid key', async () => {
  const health = await user.health();
  assert.equal(health.status, 'pass');
  assert.match(health.version, /^\d+\.\d+\.\d+$/);
  assert.equal((await client('not-a-key').health()).status, 'pass');
});

test('authentication: a missing key and a wrong key are Shlink problems', async () => {
  await rejectsWith(client('').listShortUrls(), ErrorType.INVALID_AUTHORIZATION, 401);
  await rejectsWith(client('sk_live_wrong').listShortUrls(), ErrorType.INVALID_API_KEY, 401);
  const problem = await rejectsWith(
    readOnly.createShortUrl({ longUrl: 'https://example.com/ro' }),
    'https://shlink.io/api/error/forbidden-operation',
    403,
  );
  assert.match(problem.detail, /read-only/);
});

test('create, get, update, list and delete a short URL', async () => {
  const slug = unique('sdk');
  const tag = unique('tag');
  const created = await user.createShortUrl({
    longUrl: 'https://example.com/sdk/page?x=1',
    customSlug: slug,
    tags: [tag, 'shared'],
    title: 'The SDK page',
    validUntil: '2031-01-02T03:04:05+00:00',
    validSince: '2020-01-01T00:00:00+00:00',
    maxVisits: 50,
    crawlable: true,
  });
  assert.deepEqual(Object.keys(created).sort(), [
    'crawlable', 'dateCreated', 'domain', 'forwardQuery', 'hasRedirectRules', 'longUrl', 'meta',
    'shortCode', 'shortUrl', 'tags', 'title', 'visitsSummary',
  ]);
  assert.equal(created.shortCode, slug);
  assert.equal(created.shortUrl, `${baseUrl}/${slug}`);
  assert.equal(created.longUrl, 'https://example.com/sdk/page?x=1');
  assert.match(created.dateCreated, ATOM);
  assert.deepEqual(created.visitsSummary, { total: 0, nonBots: 0, bots: 0 });
  assert.deepEqual(created.tags, [tag, 'shared'].sort());
  assert.deepEqual(created.meta, {
    validSince: '2020-01-01T00:00:00+00:00',
    validUntil: '2031-01-02T03:04:05+00:00',
    maxVisits: 50,
  });
  assert.equal(created.domain, null);
  assert.equal(created.title, 'The SDK page');
  assert.equal(created.crawlable, true);
  assert.equal(created.forwardQuery, true);
  assert.equal(created.hasRedirectRules, false);

  assert.deepEqual(await user.getShortUrl({ shortCode: slug }), created);
  assert.deepEqual(await user.getShortUrl({ shortCode: slug, domain: host }), created);

  // PATCH is partial: what is not sent stays
  const edited = await user.updateShortUrl(
    { shortCode: slug },
    { title: 'Renamed', maxVisits: null, forwardQuery: false, validUntil: null },
  );
  assert.equal(edited.title, 'Renamed');
  assert.equal(edited.meta.maxVisits, null);
  assert.equal(edited.meta.validUntil, null);
  assert.equal(edited.meta.validSince, '2020-01-01T00:00:00+00:00');
  assert.equal(edited.forwardQuery, false);
  assert.equal(edited.crawlable, true);
  assert.deepEqual(edited.tags, created.tags);
  assert.equal(edited.longUrl, created.longUrl);
  const retargeted = await user.updateShortUrl(
    { shortCode: slug },
    { longUrl: 'https://example.org/other', tags: [tag] },
  );
  assert.equal(retargeted.longUrl, 'https://example.org/other');
  assert.deepEqual(retargeted.tags, [tag]);
  assert.equal(retargeted.title, 'Renamed');

  const listed = await user.listShortUrls({ tags: [tag] });
  assert.deepEqual(listed.data.map((s) => s.shortCode), [slug]);
  assert.equal(listed.pagination.totalItems, 1);

  await user.deleteShortUrl({ shortCode: slug });
  await rejectsWith(user.getShortUrl({ shortCode: slug }), ErrorType.INVALID_SHORTCODE, 404);
  await rejectsWith(user.deleteShortUrl({ shortCode: slug }), ErrorType.INVALID_SHORTCODE, 404);
  // a deleted code is never handed out again
  await rejectsWith(
    user.createShortUrl({ longUrl: 'https://example.com/again', customSlug: slug }),
    ErrorType.INVALID_SLUG,
    400,
  );
});

test('create: generated codes, findIfExists, and the errors', async () => {
  const longUrl = `https://example.com/${unique('find')}`;
  const first = await user.createShortUrl({ longUrl, shortCodeLength: 9 });
  assert.equal(first.shortCode.length, 9);
  assert.equal(first.crawlable, false);
  assert.equal(first.forwardQuery, true);
  assert.equal(first.title, null);
  assert.deepEqual(first.meta, { validSince: null, validUntil: null, maxVisits: null });
  const again = await user.createShortUrl({ longUrl, findIfExists: true });
  assert.equal(again.shortCode, first.shortCode);
  const another = await user.createShortUrl({ longUrl });
  assert.notEqual(another.shortCode, first.shortCode);
  // another user's identical link is not "found"
  const theirs = await other.createShortUrl({ longUrl, findIfExists: true });
  assert.notEqual(theirs.shortCode, first.shortCode);

  const taken = await rejectsWith(
    user.createShortUrl({ longUrl: 'https://example.com/x', customSlug: first.shortCode }),
    ErrorType.INVALID_SLUG,
    400,
  );
  assert.equal(taken.customSlug, first.shortCode);
  const invalid = await rejectsWith(
    user.createShortUrl({ longUrl: 'javascript:alert(1)' }),
    ErrorType.INVALID_ARGUMENT,
    400,
  );
  assert.deepEqual(invalid.invalidElements, ['longUrl']);
  const short = await rejectsWith(
    user.createShortUrl({ longUrl: 'https://example.com/y', shortCodeLength: 2 }),
    ErrorType.INVALID_ARGUMENT,
    400,
  );
  assert.deepEqual(short.invalidElements, ['shortCodeLength']);
  await rejectsWith(
    user.createShortUrl({ longUrl: 'https://example.com/z', validSince: '2999-01-01T00:00:00Z' }),
    ErrorType.INVALID_ARGUMENT,
    400,
  );
});

test('a key sees only its owner\'s links; an admin\'s key sees every link', async () => {
  const mine = await user.createShortUrl({ longUrl: 'https://example.com/mine' });
  await rejectsWith(other.getShortUrl({ shortCode: mine.shortCode }), ErrorType.INVALID_SHORTCODE, 404);
  await rejectsWith(
    other.updateShortUrl({ shortCode: mine.shortCode }, { title: 'stolen' }),
    ErrorType.INVALID_SHORTCODE,
    404,
  );
  await rejectsWith(other.deleteShortUrl({ shortCode: mine.shortCode }), ErrorType.INVALID_SHORTCODE, 404);
  await rejectsWith(other.getShortUrlVisits({ shortCode: mine.shortCode }), ErrorType.INVALID_SHORTCODE, 404);
  const theirList = await other.listShortUrls({ itemsPerPage: 100 });
  assert.ok(!theirList.data.some((s) => s.shortCode === mine.shortCode));
  assert.equal((await admin.getShortUrl({ shortCode: mine.shortCode })).shortCode, mine.shortCode);
  // a domain this server does not serve has none of the links
  await rejectsWith(
    user.getShortUrl({ shortCode: mine.shortCode, domain: 'other.example' }),
    ErrorType.INVALID_SHORTCODE,
    404,
  );
});

test('list: pages, search, tags any/all, order, dates and limits', async () => {
  const tagA = unique('a');
  const tagB = unique('b');
  const word = unique('word');
  const one = await user.createShortUrl({ longUrl: `https://example.com/${word}/1`, tags: [tagA] });
  const two = await user.createShortUrl({ longUrl: `https://example.com/${word}/2`, tags: [tagA, tagB] });
  const until = new Date(Date.now() + 2500);
  const three = await user.createShortUrl({
    longUrl: `https://example.com/${word}/3`,
    tags: [tagB],
    maxVisits: 1,
    validUntil: until.toISOString(),
  });

  const page1 = await user.listShortUrls({ searchTerm: word, itemsPerPage: 2, page: '1', orderBy: { field: 'longUrl', dir: 'ASC' } });
  assert.deepEqual(page1.data.map((s) => s.shortCode), [one.shortCode, two.shortCode]);
  assert.deepEqual(page1.pagination, { currentPage: 1, pagesCount: 2, itemsPerPage: 2, itemsInCurrentPage: 2, totalItems: 3 });
  const page2 = await user.listShortUrls({ searchTerm: word, itemsPerPage: 2, page: '2', orderBy: { field: 'longUrl', dir: 'ASC' } });
  assert.deepEqual(page2.data.map((s) => s.shortCode), [three.shortCode]);
  const desc = await user.listShortUrls({ searchTerm: word, orderBy: { field: 'longUrl', dir: 'DESC' } });
  assert.deepEqual(desc.data.map((s) => s.shortCode), [three.shortCode, two.shortCode, one.shortCode]);
  for (const field of ['dateCreated', 'shortCode', 'title', 'visits', 'nonBotVisits']) {
    const ordered = await user.listShortUrls({ searchTerm: word, orderBy: { field, dir: 'ASC' } });
    assert.equal(ordered.pagination.totalItems, 3, field);
  }

  const codes = async (params) => (await user.listShortUrls(params)).data.map((s) => s.shortCode).sort();
  assert.deepEqual(await codes({ tags: [tagA, tagB], tagsMode: 'any' }), [one, two, three].map((s) => s.shortCode).sort());
  assert.deepEqual(await codes({ tags: [tagA, tagB], tagsMode: 'all' }), [two.shortCode]);
  assert.deepEqual(await codes({ tags: [tagA] }), [one, two].map((s) => s.shortCode).sort());
  assert.deepEqual(await codes({ searchTerm: word, excludeTags: [tagB] }), [one.shortCode]);
  assert.deepEqual(
    await codes({ searchTerm: word, excludeTags: [tagA, tagB], excludeTagsMode: 'all' }),
    [one, three].map((s) => s.shortCode).sort(),
  );
  assert.deepEqual(await codes({ searchTerm: word, startDate: '2999-01-01T00:00:00Z' }), []);
  assert.equal((await codes({ searchTerm: word, startDate: '2000-01-01T00:00:00Z', endDate: '2999-01-01T00:00:00Z' })).length, 3);
  assert.equal((await codes({ searchTerm: word, domain: 'DEFAULT' })).length, 3);
  assert.equal((await codes({ searchTerm: word, domain: host })).length, 3);
  assert.deepEqual(await codes({ searchTerm: word, domain: 'other.example' }), []);

  await visit(three.shortCode);
  await visitsSettle(three.shortCode, 1);
  assert.deepEqual(
    await codes({ searchTerm: word, excludeMaxVisitsReached: true }),
    [one, two].map((s) => s.shortCode).sort(),
  );
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, until.getTime() - Date.now() + 100)));
  assert.deepEqual(
    await codes({ searchTerm: word, excludePastValidUntil: true }),
    [one, two].map((s) => s.shortCode).sort(),
  );
  const bad = await rejectsWith(
    user.listShortUrls({ orderBy: { field: 'nonsense', dir: 'ASC' } }),
    ErrorType.INVALID_ARGUMENT,
    400,
  );
  assert.deepEqual(bad.invalidElements, ['orderBy']);
});

test('visits: per short URL, tag, domain, non-orphan, overview; bots; deleting them', async () => {
  const tag = unique('visited');
  const link = await user.createShortUrl({ longUrl: 'https://example.com/visited', tags: [tag] });
  await visit(link.shortCode, HUMAN, 2);
  await visit(link.shortCode, BOT);
  const settled = await visitsSettle(link.shortCode, 3);
  assert.deepEqual(settled.visitsSummary, { total: 3, nonBots: 2, bots: 1 });

  const all = await user.getShortUrlVisits({ shortCode: link.shortCode });
  assert.equal(all.pagination.totalItems, 3);
  assert.equal(all.data.length, 3);
  const [newest] = all.data;
  assert.deepEqual(Object.keys(newest).sort(), [
    'date', 'potentialBot', 'redirectUrl', 'referer', 'userAgent', 'visitLocation', 'visitedUrl',
  ]);
  assert.equal(newest.potentialBot, true);
  assert.equal(newest.userAgent, BOT);
  assert.match(newest.date, ATOM);
  assert.equal(newest.visitedUrl, link.shortUrl);
  assert.equal(newest.redirectUrl, link.longUrl);
  const humans = await user.getShortUrlVisits({ shortCode: link.shortCode }, { excludeBots: true });
  assert.equal(humans.pagination.totalItems, 2);
  assert.ok(humans.data.every((v) => !v.potentialBot && v.userAgent === HUMAN));
  const paged = await user.getShortUrlVisits({ shortCode: link.shortCode }, { itemsPerPage: 2, page: 2 });
  assert.equal(paged.data.length, 1);
  assert.equal(paged.pagination.pagesCount, 2);
  const future = await user.getShortUrlVisits({ shortCode: link.shortCode }, { startDate: '2999-01-01T00:00:00Z' });
  assert.equal(future.pagination.totalItems, 0);

  assert.equal((await user.getTagVisits(tag)).pagination.totalItems, 3);
  assert.equal((await user.getTagVisits(tag, { excludeBots: true })).pagination.totalItems, 2);
  await rejectsWith(user.getTagVisits(unique('missing')), ErrorType.TAG_NOT_FOUND, 404);
  // for another user's key, a tag on none of its links does not exist
  await rejectsWith(other.getTagVisits(tag), ErrorType.TAG_NOT_FOUND, 404);

  const mine = await user.getNonOrphanVisits({ itemsPerPage: 500 });
  assert.ok(mine.data.filter((v) => v.visitedUrl === link.shortUrl).length === 3);
  const theirs = await other.getNonOrphanVisits({ itemsPerPage: 500 });
  assert.ok(!theirs.data.some((v) => v.visitedUrl === link.shortUrl));
  const everyone = await admin.getNonOrphanVisits({ itemsPerPage: 500 });
  assert.ok(everyone.data.filter((v) => v.visitedUrl === link.shortUrl).length === 3);
  assert.ok((await user.getDomainVisits(host)).pagination.totalItems >= 3);
  await rejectsWith(user.getDomainVisits('other.example'), ErrorType.DOMAIN_NOT_FOUND, 404);

  const overview = await user.getVisitsOverview();
  assert.ok(overview.nonOrphanVisits.total >= 3);
  assert.equal(overview.nonOrphanVisits.total, overview.nonOrphanVisits.nonBots + overview.nonOrphanVisits.bots);
  assert.deepEqual(overview.orphanVisits, { total: 0, nonBots: 0, bots: 0 });
  const global = await admin.getVisitsOverview();
  assert.ok(global.nonOrphanVisits.total >= overview.nonOrphanVisits.total);
  assert.deepEqual((await other.getVisitsOverview()).nonOrphanVisits.total >= 0, true);

  const tags = await user.tagsStats();
  const stat = tags.data.find((t) => t.tag === tag);
  assert.deepEqual(stat, { tag, shortUrlsCount: 1, visitsSummary: { total: 3, nonBots: 2, bots: 1 } });

  assert.deepEqual(await user.deleteShortUrlVisits({ shortCode: link.shortCode }), { deletedVisits: 3 });
  const cleared = await user.getShortUrl({ shortCode: link.shortCode });
  assert.deepEqual(cleared.visitsSummary, { total: 0, nonBots: 0, bots: 0 });
  assert.equal((await user.getShortUrlVisits({ shortCode: link.shortCode })).pagination.totalItems, 0);
});

test('orphan visits: recorded for unknown codes, / and other 404s; an admin\'s key only', async () => {
  const missing = unique('nolink');
  const response = await fetch(`${baseUrl}/${missing}`, { redirect: 'manual', headers: { 'User-Agent': HUMAN } });
  assert.equal(response.status, 404);
  await fetch(`${baseUrl}/${missing}/deeper/path`, { redirect: 'manual', headers: { 'User-Agent': BOT } });
  const deadline = Date.now() + 15000;
  let orphans;
  for (;;) {
    orphans = await admin.getOrphanVisits({ type: 'invalid_short_url', itemsPerPage: 500 });
    if (orphans.data.some((v) => v.visitedUrl === `${baseUrl}/${missing}`)) break;
    assert.ok(Date.now() < deadline, `orphan visit of ${missing} not recorded: ${JSON.stringify(orphans)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const mine = orphans.data.find((v) => v.visitedUrl === `${baseUrl}/${missing}`);
  assert.equal(mine.type, 'invalid_short_url');
  assert.equal(mine.potentialBot, false);
  assert.equal(mine.userAgent, HUMAN);
  assert.match(mine.date, ATOM);
  assert.ok(orphans.data.every((v) => v.type === 'invalid_short_url'));
  assert.ok(orphans.pagination.totalItems >= 1);

  const overview = await admin.getVisitsOverview();
  assert.ok(overview.orphanVisits.total >= 1);
  assert.equal(overview.orphanVisits.total, overview.orphanVisits.nonBots + overview.orphanVisits.bots);
  assert.deepEqual((await user.getVisitsOverview()).orphanVisits, { total: 0, nonBots: 0, bots: 0 });

  await rejectsWith(user.getOrphanVisits(), 'https://shlink.io/api/error/forbidden-operation', 403);
  await rejectsWith(user.deleteOrphanVisits(), 'https://shlink.io/api/error/forbidden-operation', 403);
  const { deletedVisits } = await admin.deleteOrphanVisits();
  assert.ok(deletedVisits >= 1);
  assert.equal((await admin.getOrphanVisits()).pagination.totalItems, 0);
});

test('a short URL with more than 15 visits cannot be deleted', async () => {
  const link = await user.createShortUrl({ longUrl: 'https://example.com/popular' });
  await visit(link.shortCode, HUMAN, 16);
  await visitsSettle(link.shortCode, 16);
  const problem = await rejectsWith(
    user.deleteShortUrl({ shortCode: link.shortCode }),
    ErrorType.INVALID_SHORT_URL_DELETION,
    422,
  );
  assert.equal(problem.shortCode, link.shortCode);
  assert.equal(problem.threshold, 15);
  await user.deleteShortUrlVisits({ shortCode: link.shortCode });
  await user.deleteShortUrl({ shortCode: link.shortCode });
});

test('tags: list, stats, rename and delete (an admin\'s key)', async () => {
  const old = unique('old');
  const renamed = unique('new');
  const kept = unique('kept');
  const link = await user.createShortUrl({ longUrl: 'https://example.com/tagged', tags: [old, kept] });
  assert.ok((await user.listTags()).data.includes(old));
  assert.ok(!(await other.listTags()).data.includes(old));
  await rejectsWith(user.editTag({ oldName: old, newName: renamed }), ErrorType.FORBIDDEN_OPERATION, 403);
  await rejectsWith(user.deleteTags([old]), ErrorType.FORBIDDEN_OPERATION, 403);

  assert.deepEqual(await admin.editTag({ oldName: old, newName: renamed }), { oldName: old, newName: renamed });
  assert.deepEqual((await user.getShortUrl({ shortCode: link.shortCode })).tags, [kept, renamed].sort());
  await rejectsWith(admin.editTag({ oldName: old, newName: 'x-y' }), ErrorType.TAG_NOT_FOUND, 404);
  await rejectsWith(admin.editTag({ oldName: renamed, newName: kept }), ErrorType.TAG_CONFLICT, 409);

  assert.deepEqual(await admin.deleteTags([renamed]), { tags: [renamed] });
  assert.deepEqual((await user.getShortUrl({ shortCode: link.shortCode })).tags, [kept]);
  assert.ok(!(await user.listTags()).data.includes(renamed));
});

const NONE = { baseUrlRedirect: null, regular404Redirect: null, invalidShortUrlRedirect: null };
const ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

/** GET `path` of the server as a request for `hostName` would come (fetch cannot set Host). */
function getOn(hostName, path, headers = {}) {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const request = http.get(
      { hostname, port, path, headers: { Host: hostName, 'User-Agent': HUMAN, ...headers } },
      (response) => {
        response.resume();
        resolve({ status: response.statusCode, location: response.headers.location ?? null });
      },
    );
    request.on('error', reject);
  });
}

/** Where the default domain's `code` sends a visitor with these headers. */
async function target(code, headers, query = '') {
  const response = await fetch(`${baseUrl}/${code}${query}`, { redirect: 'manual', headers });
  assert.ok([301, 302, 307, 308].includes(response.status), `redirect of ${code}: ${response.status}`);
  return response.headers.get('location');
}

test('domains: the default one from configuration, others added and set up by an admin', async () => {
  const listed = await user.listDomains();
  assert.deepEqual(listed.data[0], { domain: host, isDefault: true, redirects: NONE });
  assert.deepEqual(listed.defaultRedirects, NONE);
  await rejectsWith(
    admin.editDomainRedirects({ domain: host, baseUrlRedirect: 'https://example.com' }),
    'https://shlink.io/api/error/invalid-domain',
    403,
  );
  await rejectsWith(
    user.editDomainRedirects({ domain: 'other.example', baseUrlRedirect: 'https://example.com' }),
    'https://shlink.io/api/error/forbidden-operation',
    403,
  );

  // As in Shlink, setting the redirects of a domain not known yet adds it; fields left out stay.
  const extra = `${unique('sdk')}.example`;
  const home = 'https://example.com/home';
  assert.deepEqual(await admin.editDomainRedirects({ domain: extra, baseUrlRedirect: home }), { ...NONE, baseUrlRedirect: home });
  const both = { ...NONE, baseUrlRedirect: home, invalidShortUrlRedirect: 'https://example.com/404' };
  assert.deepEqual(await admin.editDomainRedirects({ domain: extra, invalidShortUrlRedirect: both.invalidShortUrlRedirect }), both);
  const added = (await user.listDomains()).data.find((domain) => domain.domain === extra);
  assert.deepEqual(added, { domain: extra, isDefault: false, redirects: both });
  await rejectsWith(admin.editDomainRedirects({ domain: extra, regular404Redirect: home }), ErrorType.INVALID_ARGUMENT, 400);
  const badUrl = await rejectsWith(admin.editDomainRedirects({ domain: extra, baseUrlRedirect: 'ftp://x' }), ErrorType.INVALID_ARGUMENT, 400);
  assert.deepEqual(badUrl.invalidElements, ['baseUrlRedirect']);
  assert.deepEqual(await admin.editDomainRedirects({ domain: extra }), both);  // nothing lost

  // Short URLs on it: their own codes, URLs and visits; the redirect follows Host.
  const slug = unique('dom');
  const made = await user.createShortUrl({ longUrl: 'https://example.com/on-extra', customSlug: slug, domain: extra });
  assert.equal(made.domain, extra);
  assert.equal(made.shortUrl, `http://${extra}/${slug}`);
  const plain = await user.createShortUrl({ longUrl: 'https://example.com/on-default', customSlug: slug });
  assert.equal(plain.domain, null);
  assert.deepEqual(await user.getShortUrl({ shortCode: slug, domain: extra }), made);
  assert.equal((await user.getShortUrl({ shortCode: slug })).longUrl, 'https://example.com/on-default');
  const onExtra = await user.listShortUrls({ domain: extra });
  assert.deepEqual(onExtra.data.map((shortUrl) => shortUrl.shortUrl), [made.shortUrl]);
  await rejectsWith(
    user.createShortUrl({ longUrl: 'https://example.com/', domain: 'unknown.example' }),
    ErrorType.INVALID_ARGUMENT,
    400,
  );

  const followed = await getOn(extra, `/${slug}`);
  assert.deepEqual([followed.status, followed.location], [301, 'https://example.com/on-extra']);
  assert.equal((await getOn(extra, '/')).location, home);
  assert.equal((await getOn(extra, '/no-such-code')).location, 'https://example.com/404');
  const deadline = Date.now() + 15000;
  let domainVisits;
  do {
    domainVisits = await user.getDomainVisits(extra);
    if (domainVisits.pagination.totalItems >= 1) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  } while (Date.now() < deadline);
  assert.deepEqual(domainVisits.data.map((one) => one.visitedUrl), [made.shortUrl]);
  await rejectsWith(user.getDomainVisits('unknown.example'), ErrorType.DOMAIN_NOT_FOUND, 404);

  await user.deleteShortUrl({ shortCode: slug, domain: extra });
  await rejectsWith(user.getShortUrl({ shortCode: slug, domain: extra }), ErrorType.INVALID_SHORTCODE, 404);
  assert.equal((await user.getShortUrl({ shortCode: slug })).longUrl, 'https://example.com/on-default');
});

test('redirect rules: set in Shlink form, followed by the redirect, read back', async () => {
  const link = await user.createShortUrl({ longUrl: 'https://example.com/rules' });
  const id = { shortCode: link.shortCode };
  assert.deepEqual(await user.getShortUrlRedirectRules(id), { defaultLongUrl: link.longUrl, redirectRules: [] });
  const rules = [
    {
      longUrl: 'https://example.com/android-fr',
      conditions: [
        { type: 'device', matchKey: null, matchValue: 'android' },
        { type: 'language', matchKey: null, matchValue: 'fr' },
      ],
    },
    { longUrl: 'https://example.com/campaign', conditions: [{ type: 'query-param', matchKey: 'utm', matchValue: 'mail' }] },
    { longUrl: 'https://example.com/tagged', conditions: [{ type: 'any-value-query-param', matchKey: 'ref', matchValue: null }] },
    { longUrl: 'https://example.com/desktop', conditions: [{ type: 'device', matchKey: null, matchValue: 'desktop' }] },
  ];
  const expected = { defaultLongUrl: link.longUrl, redirectRules: rules.map((rule, i) => ({ ...rule, priority: i + 1 })) };
  assert.deepEqual(await user.setShortUrlRedirectRules(id, { redirectRules: rules }), expected);
  assert.deepEqual(await user.getShortUrlRedirectRules(id), expected);
  assert.equal((await user.getShortUrl(id)).hasRedirectRules, true);

  const code = link.shortCode;
  assert.equal(await target(code, { 'User-Agent': ANDROID, 'Accept-Language': 'fr-FR,fr;q=0.9' }), 'https://example.com/android-fr');
  assert.equal(await target(code, { 'User-Agent': ANDROID, 'Accept-Language': 'de' }), link.longUrl);
  assert.equal(await target(code, { 'User-Agent': IPHONE }, '?utm=mail'), 'https://example.com/campaign');
  assert.equal(await target(code, { 'User-Agent': IPHONE }, '?ref=x'), 'https://example.com/tagged');
  assert.equal(await target(code, { 'User-Agent': HUMAN }), 'https://example.com/desktop');
  assert.equal(await target(code, { 'User-Agent': IPHONE }), link.longUrl);

  // What this server cannot match on is refused, naming the rule; the rules stay as they were.
  for (const conditions of [
    [{ type: 'ip-address', matchKey: null, matchValue: '10.0.0.0/8' }],
    [{ type: 'language', matchKey: null, matchValue: 'es-ES' }],
    [{ type: 'geolocation-country-code', matchKey: null, matchValue: 'XX' }],
    [{ type: 'device', matchKey: null, matchValue: 'ios' }, { type: 'device', matchKey: null, matchValue: 'android' }],
  ]) {
    const problem = await rejectsWith(
      user.setShortUrlRedirectRules(id, { redirectRules: [{ longUrl: 'https://example.com/x', conditions }] }),
      ErrorType.INVALID_ARGUMENT,
      400,
    );
    assert.deepEqual(problem.invalidElements, ['redirectRules']);
    assert.match(problem.detail, /redirectRules\.0|rules\.0/);
  }
  await rejectsWith(
    other.setShortUrlRedirectRules(id, { redirectRules: [] }),
    ErrorType.INVALID_SHORTCODE,
    404,
  );
  assert.deepEqual(await user.getShortUrlRedirectRules(id), expected);

  const cleared = await user.setShortUrlRedirectRules(id, { redirectRules: [] });
  assert.deepEqual(cleared, { defaultLongUrl: link.longUrl, redirectRules: [] });
  assert.equal((await user.getShortUrl(id)).hasRedirectRules, false);
  assert.equal(await target(code, { 'User-Agent': HUMAN }), link.longUrl);
});

test('mercure: not configured', async () => {
  await rejectsWith(user.mercureInfo(), ErrorType.MERCURE_NOT_CONFIGURED, 501);
});
