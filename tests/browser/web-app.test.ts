// A specification over 300 lines on purpose: one person's whole journey through the web app in Chromium, in order
// (each step builds on the last), against npm start as a user runs it, with the fake LLM as the only stand-in.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildPng, launchChromium, seriousViolations, tabTo } from '../helpers/browser.js';
import { bootNpmStart, type NpmStart } from '../helpers/npm-start.js';
import { buildPdf } from '../helpers/pdf.js';

/*
 * docs/web.md "Screens": every screen, found by role and accessible name as a person finds it; axe-core on each
 * screen; one path by keyboard alone; a narrow window. Screenshots of the documents, search and document screens
 * go to docs/screenshots/ (README shows them).
 */
const SCREENSHOTS = join(__dirname, '..', '..', 'docs', 'screenshots');
const person = `web-${process.pid}`;
const admin = `web-admin-${process.pid}`;
const PDF_NAME = 'tax-letter-2025.pdf';
const PNG_NAME = 'receipt-photo.png';
const PDF = Buffer.from(
  buildPdf([['Dear taxpayer,', 'your quarterly statement for 2025 is enclosed.', 'Total due: 1,204.00']]),
);

let stack: NpmStart;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const apiFailures: string[] = [];
/** What the browser refused under the site's Content-Security-Policy, which npm start sends as AWS does. */
const policyViolations: string[] = [];

beforeAll(async () => {
  stack = await bootNpmStart(process.env.KITE_S3 === 'ceph' ? { KITE_S3: 'ceph' } : {});
  // The model files every document under a new topic of the owner's.
  stack.llm.respondWith(() => JSON.stringify({ topics: [], newTopics: ['Invoices'] }));
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  page = await context.newPage();
  // Below the test's own timeout, so a step that never happens is the failure reported, not the test's clock.
  context.setDefaultTimeout(20_000);
  page.on('response', (response) => {
    if (response.url().includes('/api/') && response.status() >= 400) {
      apiFailures.push(`${response.status()} ${response.request().method()} ${response.url()}`);
    }
  });
  context.on('console', (message) => {
    if (message.type() === 'error' && message.text().includes('Content Security Policy')) {
      policyViolations.push(message.text());
    }
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 60_000);

// The app needs nothing its policy forbids: no inline script or style, no origin but its own, the bucket's and the
// sign-in provider's.
afterEach(() => {
  expect(policyViolations).toEqual([]);
});

// What the screen said when a step failed: the quickest way to see why.
afterEach(async (test) => {
  if (test.task.result?.state !== 'fail' || !page) return;
  const main = await page
    .locator('main')
    .textContent({ timeout: 2000 })
    .catch(() => '(no main)');
  console.info(
    `after "${test.task.name}": ${page.url()}\n${main}\nAPI errors: ${apiFailures.join('; ') || 'none'}`,
  );
});

async function expectAccessible(p: Page, screen: string): Promise<void> {
  expect({ screen, violations: await seriousViolations(p) }).toEqual({ screen, violations: [] });
}

async function signIn(p: Page, name: string, options: { admin?: boolean } = {}): Promise<void> {
  await p.goto(`${stack.api}/`);
  await p.getByRole('textbox', { name: 'User name' }).fill(name);
  if (options.admin) await p.getByRole('checkbox', { name: 'Admin' }).check();
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByRole('heading', { name: 'Documents', level: 1 }).waitFor();
}

function row(p: Page, filename: string) {
  return p.getByRole('listitem').filter({ has: p.getByRole('link', { name: filename, exact: true }) });
}

describe('the web app in Chromium, on npm start', () => {
  it('signs in without setup: npm start sends the app to its local sign-in page, which is accessible', async () => {
    await page.goto(`${stack.api}/documents`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/local/sign-in');
    await expectAccessible(page, 'sign-in');
    await signIn(page, person);
    await expect(page.getByText('No documents here yet')).toBeDefined();
    for (const name of ['Documents', 'Topics', 'Trash', 'Settings']) {
      expect(await page.getByRole('link', { name, exact: true }).count()).toBe(1);
    }
    // Admins only.
    expect(await page.getByRole('link', { name: 'Admin', exact: true }).count()).toBe(0);
  });

  it('uploads a PDF and an image through the uploader and shows them filed without a reload', async () => {
    await page.getByRole('button', { name: 'Upload' }).click();
    const uploader = page.getByRole('region', { name: 'Uploader' });
    await uploader
      .locator('input[type=file]')
      .first()
      .setInputFiles([
        { name: PDF_NAME, mimeType: 'application/pdf', buffer: PDF },
        { name: PNG_NAME, mimeType: 'image/png', buffer: buildPng() },
      ]);
    await expectAccessible(page, 'uploader');
    for (const name of [PDF_NAME, PNG_NAME]) {
      await row(page, name).getByText('Filed').waitFor({ timeout: 60_000 });
      await row(page, name)
        .getByRole('list', { name: `Topics of ${name}` })
        .getByText('Invoices')
        .waitFor();
    }
    // Each row shows its thumbnail (page 1, or the image), a WebP the browser loads from the bucket.
    for (const name of [PDF_NAME, PNG_NAME]) {
      const thumbnail = row(page, name).locator('img.thumb');
      await expect
        .poll(() => thumbnail.evaluate((img: any) => img.complete && img.naturalWidth), { timeout: 30_000 })
        .toBeGreaterThan(0);
    }
    // The same content under another name: kite already holds it, and the uploader says where.
    await uploader.getByRole('button', { name: 'Add more files' }).click();
    await uploader
      .locator('input[type=file]')
      .first()
      .setInputFiles([{ name: 'copy of the letter.pdf', mimeType: 'application/pdf', buffer: PDF }]);
    const stored = page.getByRole('region', { name: 'Already stored' });
    await stored.getByText(/copy of the letter\.pdf/).waitFor();
    await stored.getByRole('link', { name: 'as this document' }).click();
    await page.getByRole('heading', { name: PDF_NAME, level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Close the uploader' }).click();
    await page.getByRole('link', { name: 'Documents', exact: true }).click();
    await row(page, PNG_NAME).waitFor();
    expect(await page.getByRole('link', { name: 'copy of the letter.pdf' }).count()).toBe(0);
    await expectAccessible(page, 'documents');
    await page.screenshot({ path: join(SCREENSHOTS, 'documents.png') });
  }, 120_000);

  it('uploads a large file in parts (multipart) through the same uploader', async () => {
    // Above the 16 MiB part size, so Uppy takes the multipart path of the app's glue (web/src/upload/kite-uppy.ts).
    const name = 'big-notes.txt';
    const line = 'kite keeps large notes in parts\n';
    const big = Buffer.from(line.repeat(Math.ceil((17 * 2 ** 20) / line.length)));
    const calls: string[] = [];
    const watch = (request: { url(): string; method(): string }) => {
      const path = new URL(request.url()).pathname;
      if (path.startsWith('/api/documents/'))
        calls.push(`${request.method()} ${path.replace(/[0-9a-f-]{36}/, ':id')}`);
    };
    page.on('request', watch);
    try {
      await page.getByRole('button', { name: 'Upload' }).click();
      await page
        .getByRole('region', { name: 'Uploader' })
        .locator('input[type=file]')
        .first()
        .setInputFiles([{ name, mimeType: 'text/plain', buffer: big }]);
      await row(page, name).getByText('Filed').waitFor({ timeout: 90_000 });
    } finally {
      page.off('request', watch);
    }
    expect(calls).toContain('POST /api/documents/multipart');
    expect(calls).toContain('POST /api/documents/:id/multipart/sign');
    expect(calls).not.toContain('POST /api/documents/upload-url');
    await page.getByRole('button', { name: 'Close the uploader' }).click();
  }, 150_000);

  it('filters by topic and acts on a selection in bulk', async () => {
    await page.getByRole('combobox', { name: 'Topic' }).selectOption({ label: 'Invoices' });
    await expect.poll(() => new URL(page.url()).searchParams.has('topicId')).toBe(true);
    await row(page, PNG_NAME).waitFor();
    await page.getByRole('checkbox', { name: `Select ${PNG_NAME}` }).check();
    await page.getByRole('button', { name: 'Reclassify selected' }).click();
    await page.getByText('1 of 1 done.').waitFor();
    await page.getByRole('combobox', { name: 'Topic' }).selectOption({ label: 'All topics' });
    await row(page, PDF_NAME).waitFor();
  });

  it('searches as the person types and marks the matched words, as text', async () => {
    await page.getByRole('searchbox', { name: 'Search' }).pressSequentially('quarterly', { delay: 30 });
    await page.getByRole('heading', { name: 'Search', level: 1 }).waitFor();
    const result = page.getByRole('list', { name: 'Results' }).getByRole('listitem').first();
    await result.getByRole('link', { name: PDF_NAME }).waitFor();
    expect(await result.locator('mark').allTextContents()).toEqual(['quarterly']);
    // The searchbox kept focus while the screen changed under it.
    expect(
      await page
        .getByRole('searchbox', { name: 'Search' })
        .evaluate((el) => el === (globalThis as any).document.activeElement),
    ).toBe(true);
    await expectAccessible(page, 'search');
    await page.screenshot({ path: join(SCREENSHOTS, 'search.png') });
  });

  it('shows what a document says, and its name, as text: never as HTML', async () => {
    // A text file whose name and words are markup, uploaded by the person's own token through the API.
    const token = await page.evaluate(() => (globalThis as any).sessionStorage.getItem('kite.token'));
    const filename = '<img src=x onerror="globalThis.kiteMarkup=1">.txt';
    const text =
      'Quarterly <b>bold</b> <img src=x onerror="globalThis.kiteMarkup=2"> <script>globalThis.kiteMarkup=3</script> markup';
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const asked = await fetch(`${stack.api}/api/documents/upload-url`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ filename, contentType: 'text/plain', size: Buffer.byteLength(text) }),
    });
    expect(asked.status).toBe(201);
    const ticket = (await asked.json()) as {
      document: { id: string };
      upload: { url: string; headers: Record<string, string> };
    };
    const put = await fetch(ticket.upload.url, { method: 'PUT', headers: ticket.upload.headers, body: text });
    expect(put.status).toBe(200);
    const confirmed = await fetch(`${stack.api}/api/documents/${ticket.document.id}/confirm`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(confirmed.status).toBe(200);

    const search = page.getByRole('searchbox', { name: 'Search' });
    await search.fill('');
    await search.pressSequentially('markup', { delay: 30 });
    const result = page
      .getByRole('list', { name: 'Results' })
      .getByRole('listitem')
      .filter({ has: page.getByRole('link', { name: filename, exact: true }) });
    await result.waitFor({ timeout: 60_000 });
    // The words arrive as text, the match in <mark>, and nothing of the markup became an element or ran.
    expect(await result.locator('mark').allTextContents()).toEqual(['markup']);
    expect(await result.textContent()).toContain('<b>bold</b>');
    expect(await result.locator('b, img, script').count()).toBe(0);
    await result.getByRole('link', { name: filename, exact: true }).click();
    await page.getByRole('heading', { name: filename, level: 1 }).waitFor();
    expect(await page.locator('main img:not(.preview), main script').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as any).kiteMarkup)).toBeUndefined();
    await page.getByRole('link', { name: 'Documents', exact: true }).click();
    await row(page, PDF_NAME).waitFor();
  }, 120_000);

  it('opens a document and edits its topics inline, renames it, and offers reclassify and download', async () => {
    await page.getByRole('link', { name: PDF_NAME }).click();
    await page.getByRole('heading', { name: PDF_NAME, level: 1 }).waitFor();
    const topics = page.getByRole('list', { name: 'Topics', exact: true });
    await topics.getByRole('listitem').filter({ hasText: 'Invoices' }).waitFor();
    expect(await page.getByRole('link', { name: 'Download' }).getAttribute('href')).toMatch(/^http/);
    // The PDF itself, inline, from the bucket's origin (never the app's).
    const preview = page.getByTitle(`Preview of ${PDF_NAME}`);
    const previewUrl = new URL((await preview.getAttribute('src')) ?? '');
    expect(previewUrl.origin).not.toBe(new URL(stack.api).origin);
    const inline = await fetch(previewUrl);
    expect(inline.status).toBe(200);
    expect(inline.headers.get('content-type')).toBe('application/pdf');
    expect(inline.headers.get('content-disposition')).toMatch(/^inline/);
    await expectAccessible(page, 'document');
    await page.screenshot({ path: join(SCREENSHOTS, 'document.png') });

    // A refused change is shown in words from the error body, with the request id to quote.
    await page.getByRole('combobox', { name: 'Add topic' }).fill('x'.repeat(65));
    await page.getByRole('combobox', { name: 'Add topic' }).press('Enter');
    await page
      .getByRole('alert')
      .getByText(/request id \S+/)
      .waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/64/);

    await page.getByRole('combobox', { name: 'Add topic' }).fill('Taxes 2025');
    await page.getByRole('combobox', { name: 'Add topic' }).press('Enter');
    await topics.getByRole('listitem').filter({ hasText: 'Taxes 2025' }).waitFor();
    await page.getByRole('button', { name: 'Remove topic Invoices' }).click();
    await page.getByRole('status').getByText('Removed topic Invoices.').waitFor();
    expect(await topics.getByRole('listitem').allTextContents()).toEqual([
      expect.stringContaining('Taxes 2025'),
    ]);

    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByRole('textbox', { name: 'New name' }).fill('Tax letter 2025.pdf');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.getByRole('heading', { name: 'Tax letter 2025.pdf', level: 1 }).waitFor();

    await page.getByRole('button', { name: 'Reclassify' }).click();
    await page.getByRole('status').getByText('Filing it again…').waitFor();
    // Reclassification keeps what the person set: the removed topic stays off, the added one stays on.
    await page.getByText('Filed', { exact: true }).waitFor({ timeout: 60_000 });
    await page.reload();
    await topics.getByRole('listitem').filter({ hasText: 'Taxes 2025' }).waitFor();
    expect(await topics.getByText('Invoices').count()).toBe(0);
  }, 120_000);

  it('moves the document to the trash and restores it', async () => {
    await page.getByRole('button', { name: 'Move to trash' }).click();
    await page.getByRole('heading', { name: 'Documents', level: 1 }).waitFor();
    await row(page, PNG_NAME).waitFor();
    expect(await page.getByRole('link', { name: 'Tax letter 2025.pdf' }).count()).toBe(0);

    await page.getByRole('link', { name: 'Trash', exact: true }).click();
    const trashed = page.getByRole('listitem', { name: 'Tax letter 2025.pdf' });
    await trashed.waitFor();
    await expectAccessible(page, 'trash');
    await trashed.getByRole('button', { name: 'Restore' }).click();
    await page.getByRole('status').getByText('Restored Tax letter 2025.pdf.').waitFor();
    await page.getByText('The trash is empty.').waitFor();
    await page.getByRole('link', { name: 'Documents', exact: true }).click();
    await page.getByRole('link', { name: 'Tax letter 2025.pdf' }).waitFor();
  });

  it('creates an API key with scopes, shows its secret once, and revokes it', async () => {
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByText(/ of .* used/).waitFor();
    await page.getByRole('textbox', { name: 'Key name' }).fill('scanner script');
    await page.getByRole('checkbox', { name: /Upload and change documents/ }).check();
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = await page.getByRole('textbox', { name: 'New key' }).inputValue();
    expect(secret).toMatch(/^kite_/);
    await expectAccessible(page, 'settings');
    const withKey = () =>
      fetch(`${stack.api}/api/documents`, { headers: { authorization: `Bearer ${secret}` } });
    expect((await withKey()).status).toBe(200);

    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByRole('textbox', { name: 'New key' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Revoke scanner script' }).click();
    await page.getByText('No keys yet.').waitFor();
    // Revocation takes effect everywhere within 10 seconds (docs/api.md "How revocation holds within 10 seconds").
    let status = 0;
    for (const started = Date.now(); Date.now() - started < 15_000; ) {
      status = (await withKey()).status;
      if (status === 401) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toBe(401);
  }, 60_000);

  it('lets an admin add a system topic and set a user’s quota, which the user then sees', async () => {
    const adminContext = await browser.newContext();
    const adminPage = await adminContext.newPage();
    try {
      await signIn(adminPage, admin, { admin: true });
      await adminPage.getByRole('link', { name: 'Admin', exact: true }).click();
      await adminPage.getByRole('heading', { name: 'Admin', level: 1 }).waitFor();
      await adminPage.getByRole('textbox', { name: 'System topic name' }).fill(`Household ${process.pid}`);
      await adminPage.getByRole('button', { name: 'Add system topic' }).click();
      await adminPage
        .getByRole('list', { name: 'System topics' })
        .getByText(`Household ${process.pid}`)
        .waitFor();
      await adminPage.getByRole('spinbutton', { name: `Quota in MB for ${person}` }).fill('5');
      await adminPage.getByRole('button', { name: `Save ${person}` }).click();
      await adminPage.getByRole('listitem').filter({ hasText: person }).getByText('Saved.').waitFor();
      await expectAccessible(adminPage, 'admin');
    } finally {
      await adminContext.close();
    }
    await page.reload();
    await page.getByText(/ of 5\.0 MB used/).waitFor();
    await page.getByRole('link', { name: 'Topics', exact: true }).click();
    await page.getByRole('list', { name: 'System topics' }).getByText(`Household ${process.pid}`).waitFor();
    await page.getByRole('list', { name: 'Your topics' }).getByText('Taxes 2025').waitFor();
    await expectAccessible(page, 'topics');
  }, 60_000);

  it('works by keyboard alone: search, open a document, add a topic, trash and restore it', async () => {
    const keyboardContext = await browser.newContext();
    const k = await keyboardContext.newPage();
    try {
      await k.goto(`${stack.api}/`);
      await k.getByRole('button', { name: 'Sign in' }).waitFor();
      await tabTo(k, k.getByRole('textbox', { name: 'User name' }));
      await k.keyboard.type(person);
      await tabTo(k, k.getByRole('button', { name: 'Sign in' }));
      await k.keyboard.press('Enter');
      await k.getByRole('heading', { name: 'Documents', level: 1 }).waitFor();

      await tabTo(k, k.getByRole('searchbox', { name: 'Search' }));
      await k.keyboard.type('quarterly');
      const link = k
        .getByRole('list', { name: 'Results' })
        .getByRole('link', { name: 'Tax letter 2025.pdf' });
      await link.waitFor();
      await tabTo(k, link);
      await k.keyboard.press('Enter');
      await k.getByRole('heading', { name: 'Tax letter 2025.pdf', level: 1 }).waitFor();

      await tabTo(k, k.getByRole('combobox', { name: 'Add topic' }));
      await k.keyboard.type('Keyboard');
      await k.keyboard.press('Enter');
      await k.getByRole('list', { name: 'Topics', exact: true }).getByText('Keyboard').waitFor();

      await tabTo(k, k.getByRole('button', { name: 'Move to trash' }));
      await k.keyboard.press('Enter');
      await k.getByRole('heading', { name: 'Documents', level: 1 }).waitFor();
      await tabTo(k, k.getByRole('link', { name: 'Trash', exact: true }));
      await k.keyboard.press('Enter');
      const restore = k
        .getByRole('listitem', { name: 'Tax letter 2025.pdf' })
        .getByRole('button', { name: 'Restore' });
      await restore.waitFor();
      await tabTo(k, restore);
      await k.keyboard.press('Enter');
      await k.getByText('The trash is empty.').waitFor();
    } finally {
      await keyboardContext.close();
    }
  }, 60_000);

  it('fits a narrow (mobile) window: the documents and document screens, no sideways scrolling', async () => {
    const mobile = await browser.newContext({
      viewport: { width: 360, height: 740 },
      isMobile: true,
      hasTouch: true,
    });
    const m = await mobile.newPage();
    try {
      await signIn(m, person);
      const overflow = () =>
        m.evaluate(
          () => (globalThis as any).document.documentElement.scrollWidth - (globalThis as any).innerWidth,
        );
      await m.getByRole('link', { name: PNG_NAME }).waitFor();
      expect(await overflow()).toBeLessThanOrEqual(0);
      await expectAccessible(m, 'documents (narrow)');
      await m.screenshot({ path: join(SCREENSHOTS, 'documents-narrow.png') });
      await m.getByRole('link', { name: 'Tax letter 2025.pdf' }).click();
      await m.getByRole('heading', { name: 'Tax letter 2025.pdf', level: 1 }).waitFor();
      await m.getByRole('button', { name: 'Move to trash' }).waitFor();
      expect(await overflow()).toBeLessThanOrEqual(0);
      expect(await m.getByRole('button', { name: 'Rename' }).isVisible()).toBe(true);
      await expectAccessible(m, 'document (narrow)');
      await m.screenshot({ path: join(SCREENSHOTS, 'document-narrow.png') });
    } finally {
      await mobile.close();
    }
  }, 60_000);

  it('deletes for good: a selection moved to the trash, then the trash emptied after a confirmation', async () => {
    await page.getByRole('link', { name: 'Documents', exact: true }).click();
    await page.getByRole('checkbox', { name: `Select ${PNG_NAME}` }).check();
    await page.getByRole('button', { name: 'Move selected to trash' }).click();
    await page.getByText('1 of 1 done.').waitFor();
    await page.getByRole('link', { name: PNG_NAME }).waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'Trash', exact: true }).click();
    await page.getByRole('listitem', { name: PNG_NAME }).waitFor();
    await page.getByRole('button', { name: 'Empty trash' }).click();
    await page.getByRole('button', { name: 'Delete all for good' }).click();
    await page.getByRole('status').getByText('Deleted everything in the trash for good.').waitFor();
    await page.getByText('The trash is empty.').waitFor();
  });
});
