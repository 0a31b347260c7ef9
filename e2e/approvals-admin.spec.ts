/**
 * The Approvals panel's Policies, Grants and Proposals views against a real `reef serve`, as a new
 * operator uses them: a rule written in the editor (its mistakes shown, its dry run over the stored
 * history the same as the host's), saved, reordered, disabled, then deciding a new request at once
 * and named in History; a grant made with "approve and allow", counting down, revoked; a short
 * one leaving when it runs out; a proposal after 20 approvals unchanged, adopted into the editor
 * and saved only by Save. Screenshots of Policies and Grants for the docs.
 */
import type { APIRequestContext, Locator, Page } from '@playwright/test';
import path from 'node:path';
import { createAgentToken, REPO_ROOT, startReef, type ReefProcess } from '../test/harness/reef-process.js';
import { expect, test, type ShellPage } from './fixtures.js';

const IMAGES = path.join(REPO_ROOT, 'docs', 'images');

interface Approval {
  id: string;
  title: string;
  status: string;
  decision?: string;
  decidedBy?: string;
  grantId?: string;
}
interface Policy {
  id: string;
  name: string;
  enabled: boolean;
  match: Record<string, unknown>;
  action: 'approve' | 'reject';
}
interface Grant {
  id: string;
  agent: string;
  kind: string;
  expiresAt: string | null;
  revokedAt?: string;
}
interface DryRun {
  scanned: number;
  matched: number;
  wouldApprove: number;
  wouldReject: number;
  agreedWithOperator: number;
  disagreed: number;
  examples: Approval[];
}
interface Proposal {
  entry: { agent: string; kind: string; streak: number };
  rule: { name: string; match: Record<string, unknown>; action: string };
  dryRun: DryRun;
}

/** The HTTP API as the agents (each with its own token) and the operator see it. */
class Http {
  private readonly agents = new Map<string, string>();
  constructor(
    private readonly request: APIRequestContext,
    private readonly reef: ReefProcess,
  ) {}

  private async call<T>(method: 'GET' | 'POST' | 'DELETE', url: string, token: string, data?: unknown): Promise<T> {
    const res = await this.request.fetch(`${this.reef.origin}${url}`, { method, headers: { authorization: `Bearer ${token}` }, ...(data === undefined ? {} : { data }) });
    if (!res.ok()) throw new Error(`${method} ${url}: ${res.status()} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** A request from `agent`, with that agent's own token (made the first time, as an operator would). */
  ask(agent: string, body: Record<string, unknown>): Promise<Approval> {
    let token = this.agents.get(agent);
    if (!token) this.agents.set(agent, (token = createAgentToken(this.reef, agent)));
    return this.call<{ approval: Approval }>('POST', '/v1/approvals', token, { agent, ...body }).then((r) => r.approval);
  }

  decide(id: string, body: Record<string, unknown>): Promise<{ approval: Approval; grant?: Grant }> {
    return this.call('POST', `/v1/approvals/${id}/decide`, this.reef.token, body);
  }

  /** Asks and has the operator decide it: the stored history a dry run replays. */
  async decided(agent: string, body: Record<string, unknown>, decision: 'approve' | 'reject'): Promise<Approval> {
    const a = await this.ask(agent, body);
    return (await this.decide(a.id, { decision })).approval;
  }

  approval(id: string): Promise<Approval> {
    return this.call<{ approval: Approval }>('GET', `/v1/approvals/${id}`, this.reef.token).then((r) => r.approval);
  }
  policies(): Promise<Policy[]> {
    return this.call<{ policies: Policy[] }>('GET', '/v1/approvals/policies', this.reef.token).then((r) => r.policies);
  }
  putPolicy(rule: Omit<Policy, 'id' | 'enabled'> & { enabled?: boolean; position?: number }): Promise<Policy> {
    return this.call<{ policy: Policy }>('POST', '/v1/approvals/policies', this.reef.token, rule).then((r) => r.policy);
  }
  dryRun(rule: Omit<Policy, 'id' | 'enabled'>): Promise<DryRun> {
    return this.call('POST', '/v1/approvals/policies/dry-run', this.reef.token, { rule });
  }
  grants(): Promise<Grant[]> {
    return this.call<{ grants: Grant[] }>('GET', '/v1/approvals/grants?all=true', this.reef.token).then((r) => r.grants);
  }
  proposals(): Promise<{ threshold: number; proposals: Proposal[] }> {
    return this.call('GET', '/v1/approvals/proposals', this.reef.token);
  }
}

/** The Approvals panel and its views. */
class Approvals {
  constructor(readonly page: Page) {}
  get root() {
    return this.page.getByTestId('panel-approvals-inbox');
  }
  async open(shell: ShellPage, reef: ReefProcess) {
    // The browser's question about desktop notifications was answered before.
    await this.page.addInitScript(() => localStorage.setItem('reef.approvals.notifications-asked', 'declined'));
    await shell.open(reef);
    await shell.openPanel('approvals', 'inbox');
    await expect(this.root.getByTestId('approvals-inbox')).toHaveAttribute('data-status', 'ready');
  }
  async tab(name: 'inbox' | 'history' | 'policies' | 'grants' | 'proposals') {
    await this.root.getByTestId(`approvals-tab-${name}`).click();
    await expect(this.root.getByTestId(`approvals-tab-${name}`)).toHaveAttribute('aria-selected', 'true');
  }
  get editor() {
    return this.root.getByTestId('policy-editor');
  }
  field(name: 'name' | 'agents' | 'products' | 'min' | 'max') {
    return this.editor.getByTestId(`policy-${name}`);
  }
}

/** The panel from its top down to the end of `last`, without the empty space below it. */
async function shot(page: Page, panel: Locator, last: Locator, name: string) {
  const [top, end] = [await panel.boundingBox(), await last.boundingBox()];
  if (!top || !end) throw new Error(`nothing to take for ${name}`);
  const clip = { x: top.x, y: top.y, width: top.width, height: end.y + end.height + 12 - top.y };
  await page.screenshot({ path: path.join(IMAGES, name), clip, animations: 'disabled' });
}

const spend = (title: string, amountUsd: number, risk = 'low') => ({ kind: 'spend', title, amountUsd, risk, product: 'acme' });

test.describe.serial('Approvals: policies, grants and proposals', () => {
  let http: Http;
  let context: APIRequestContext;
  // A host of its own: the rules, grants, ledger and agent tokens made here stay out of the other
  // files' host (agent token names are unique per host, and a rule or grant would decide their requests).
  let reef: ReefProcess;

  test.beforeAll(async ({ playwright }) => {
    reef = await startReef();
    context = await playwright.request.newContext();
    http = new Http(context, reef);
  });
  test.afterAll(async () => {
    await context.dispose();
    await reef?.stop();
  });

  test('a rule written in the editor: its mistakes shown, its dry run as the host replays it, saved, reordered, disabled, deciding at once, deleted', async ({ shell, page }) => {
    // The history the dry run replays: forge's spending, decided by the operator.
    const history = [
      await http.decided('forge', spend('GPU hour for the evals', 5), 'approve'),
      await http.decided('forge', spend('Domain renewal', 12), 'approve'),
      await http.decided('forge', spend('Stock photos', 18), 'approve'),
      await http.decided('forge', spend('A second stock photo plan', 15), 'reject'),
      await http.decided('forge', spend('Annual design tool seat', 25), 'approve'),
      await http.decided('forge', spend('Ad campaign', 10, 'medium'), 'approve'),
      await http.decided('forge', { kind: 'deploy', title: 'Deploy docs', product: 'acme' }, 'approve'),
    ];
    const [gpu, domain, photos, secondPlan] = history as [Approval, Approval, Approval, Approval];

    const ui = new Approvals(page);
    await ui.open(shell, reef);
    await ui.tab('policies');
    await expect(ui.root.getByTestId('policies-empty')).toBeVisible();
    await ui.root.getByTestId('policy-new').click();
    await expect(ui.field('name')).toBeFocused();
    // A new form is not covered in red before the operator did anything.
    await expect(ui.editor.locator('.reef-ui-error')).toHaveCount(0);

    // Dry run on an empty form: what is wrong shows, the focus goes to it, nothing is replayed.
    await ui.editor.getByTestId('policy-dry-run').click();
    await expect(ui.editor.getByTestId('policy-name-error')).toHaveText('Give the rule a name.');
    await expect(ui.editor.getByTestId('policy-match-error')).toContainText('would approve everything');
    await expect(ui.field('name')).toBeFocused();
    await expect(ui.editor.getByTestId('policy-dryrun')).toHaveCount(0);
    await expect(ui.editor.getByTestId('policy-save')).toBeDisabled();

    await ui.field('name').fill('Small spend');
    await expect(ui.editor.getByTestId('policy-name-error')).toHaveCount(0);
    await ui.editor.getByTestId('policy-kinds-spend').click();
    await ui.editor.getByTestId('policy-risks-low').click();
    await expect(ui.editor.getByTestId('policy-match-error')).toHaveCount(0);
    // A minimum over the maximum, and an amount that is not one.
    await ui.field('min').fill('50');
    await ui.field('max').fill('twenty');
    await ui.field('max').press('Enter');
    await expect(ui.editor.getByTestId('policy-max-error')).toContainText('A number of dollars');
    await ui.field('max').fill('20');
    await expect(ui.editor.getByTestId('policy-min-error')).toHaveText('Must not be over the maximum ($20).');
    await expect(ui.editor.getByTestId('policy-dryrun')).toHaveCount(0);
    await ui.field('min').fill('');
    await ui.field('max').fill('$20');
    await expect(ui.editor.locator('.reef-ui-error')).toHaveCount(0);
    await expect(ui.editor.getByTestId('policy-summary')).toHaveText('spend · risk low · ≤ $20 → approve');
    await expect(ui.editor.getByTestId('policy-save')).toBeDisabled();

    // The dry run (Enter in a field), shown as the host computes it.
    await ui.field('max').press('Enter');
    const dry = ui.editor.getByTestId('policy-dryrun');
    await expect(dry).toBeVisible();
    const rule = { name: 'Small spend', match: { kinds: ['spend'], risks: ['low'], maxAmountUsd: 20 }, action: 'approve' as const };
    const host = await http.dryRun(rule);
    expect(host).toMatchObject({ scanned: history.length, matched: 4, wouldApprove: 4, agreedWithOperator: 3, disagreed: 1 });
    await expect(dry).toHaveAttribute('data-scanned', String(host.scanned));
    await expect(dry).toHaveAttribute('data-matched', String(host.matched));
    await expect(dry).toHaveAttribute('data-agreed', String(host.agreedWithOperator));
    await expect(dry).toHaveAttribute('data-disagreed', String(host.disagreed));
    const examples = dry.locator('[data-testid^="policy-example-"]');
    await expect(examples).toHaveCount(host.examples.length);
    expect(await examples.evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')))).toEqual(host.examples.map((a) => `policy-example-${a.id}`));
    expect(host.examples.map((a) => a.id).sort()).toEqual([gpu.id, domain.id, photos.id, secondPlan.id].sort());
    // The one the operator rejected comes first and says it differs.
    await expect(examples.first()).toHaveAttribute('data-verdict', 'differs');
    await expect(examples.first()).toContainText('A second stock photo plan');
    await expect(dry.locator('[data-verdict="agrees"]')).toHaveCount(3);

    // Change the rule and the dry run no longer stands: Save waits for another.
    await ui.field('max').fill('19');
    await expect(dry).toHaveCount(0);
    await expect(ui.editor.getByTestId('policy-save')).toBeDisabled();
    await ui.field('max').fill('20');
    await expect(dry).toBeVisible();
    expect(await http.policies()).toEqual([]);
    await ui.editor.getByTestId('policy-save').click();
    await expect(ui.editor).toHaveCount(0);
    const [small] = (await http.policies()) as [Policy];
    expect(small).toMatchObject({ ...rule, enabled: true });
    const smallRow = ui.root.getByTestId(`policy-${small.id}`);
    await expect(smallRow).toContainText('Small spend');

    // Another operator's rule arrives by its event; then the order is changed here.
    const big = await http.putPolicy({ name: 'Reject large spend', match: { kinds: ['spend'], minAmountUsd: 1000 }, action: 'reject' });
    const bigRow = ui.root.getByTestId(`policy-${big.id}`);
    await expect(bigRow).toHaveAttribute('data-position', '1');
    await bigRow.getByTestId(`policy-up-${big.id}`).click();
    await expect(bigRow).toHaveAttribute('data-position', '0');
    await expect(smallRow).toHaveAttribute('data-position', '1');
    expect((await http.policies()).map((p) => p.id)).toEqual([big.id, small.id]);

    // Disabled, the rule decides nothing; enabled again, it decides at once.
    await smallRow.getByTestId(`policy-toggle-${small.id}`).click();
    await expect(smallRow).toHaveAttribute('data-enabled', 'false');
    const whileOff = await http.ask('forge', spend('Printer paper', 8));
    expect(whileOff.status).toBe('pending');
    await smallRow.getByTestId(`policy-toggle-${small.id}`).click();
    await expect(smallRow).toHaveAttribute('data-enabled', 'true');
    const auto = await http.ask('forge', spend('Coffee for the standup', 7));
    expect(auto).toMatchObject({ status: 'approved', decision: 'approve', decidedBy: `policy:${small.id}` });
    const large = await http.ask('forge', spend('Buy a server rack', 4000));
    expect(large).toMatchObject({ status: 'rejected', decidedBy: `policy:${big.id}` });

    // The inbox holds only the one that came while the rule was off; History names the rule.
    await ui.tab('inbox');
    await expect(ui.root.getByTestId(`approvals-row-${whileOff.id}`)).toBeVisible();
    await expect(ui.root.getByTestId(`approvals-row-${auto.id}`)).toHaveCount(0);
    await ui.tab('history');
    const autoRow = ui.root.getByTestId(`approvals-history-table-row-${auto.id}`);
    await expect(autoRow).toHaveAttribute('data-by', `policy:${small.id}`);
    await expect(autoRow).toContainText('Small spend');
    await autoRow.click();
    await expect(ui.root.getByTestId('approvals-detail')).toContainText('Small spend');
    await http.decide(whileOff.id, { decision: 'reject', comment: 'not now' });

    // Delete both, each after a confirmation.
    await ui.tab('policies');
    for (const p of [small, big]) {
      await ui.root.getByTestId(`policy-delete-${p.id}`).click();
      const confirm = page.getByTestId('policy-delete-confirm');
      await expect(confirm).toContainText(p.name);
      await page.keyboard.press('Enter');
      await expect(confirm).toHaveCount(0);
      await expect(ui.root.getByTestId(`policy-${p.id}`)).toHaveCount(0);
    }
    await expect(ui.root.getByTestId('policies-empty')).toBeVisible();
    expect(await http.policies()).toEqual([]);
  });
  test('approve and allow for 30 min: the grant counts down and decides the next at once; revoked, the next waits; a short one leaves when it runs out', async ({ shell, page }) => {
    const first = await http.ask('forge', { kind: 'comms', title: 'Reply to ticket #4810', product: 'acme' });
    const ui = new Approvals(page);
    await ui.open(shell, reef);
    await expect(ui.root.getByTestId('approvals-detail')).toHaveAttribute('data-approval', first.id);

    // g, then 1: approve, and allow the same for 30 min.
    await page.keyboard.press('g');
    await expect(ui.root.getByTestId('approvals-prompt')).toHaveAttribute('data-kind', 'grant');
    await page.keyboard.press('1');
    await expect(ui.root.getByTestId(`approvals-row-${first.id}`)).toHaveCount(0);
    const approved = await http.approval(first.id);
    expect(approved).toMatchObject({ status: 'approved', decision: 'approve', decidedBy: 'operator:operator', grantId: expect.any(String) });
    const grant = (await http.grants()).find((g) => g.id === approved.grantId) as Grant;
    const minutesLeft = (Date.parse(grant.expiresAt ?? '') - Date.now()) / 60_000;
    expect(minutesLeft).toBeGreaterThan(29);
    expect(minutesLeft).toBeLessThanOrEqual(30);

    await ui.tab('grants');
    await expect(ui.root.getByTestId('approvals-tab-grants-count')).toHaveText('1');
    const row = ui.root.getByTestId(`grant-${grant.id}`);
    await expect(row).toContainText('forge');
    await expect(row).toContainText('comms');
    await expect(row).toContainText('acme');
    const left = row.getByTestId(`grant-left-${grant.id}`);
    await expect(left).toHaveText(/^ends in (29m \d\ds|30m 00s)$/);
    // A live countdown: the text moves on by itself.
    const shown = (await left.textContent()) ?? '';
    await expect(left).not.toHaveText(shown);

    // The next request of that kind from forge for acme is approved at once, by the grant.
    const covered = await http.ask('forge', { kind: 'comms', title: 'Reply to ticket #4811', product: 'acme' });
    expect(covered).toMatchObject({ status: 'approved', decidedBy: `grant:${grant.id}` });

    // Revoke, with the button, after the confirmation; the next one waits for the operator again.
    await row.getByTestId(`grant-revoke-${grant.id}`).click();
    const confirm = page.getByTestId('grant-revoke-confirm');
    await expect(confirm).toContainText("forge's comms requests for acme");
    await confirm.getByTestId('grant-revoke-confirm-ok').click();
    await expect(confirm).toHaveCount(0);
    await expect(row).toHaveCount(0);
    await expect(ui.root.getByTestId('grants-empty')).toBeVisible();
    expect((await http.grants()).find((g) => g.id === grant.id)?.revokedAt).toBeDefined();
    const waits = await http.ask('forge', { kind: 'comms', title: 'Reply to ticket #4812', product: 'acme' });
    expect(waits.status).toBe('pending');

    // A grant of 5 s made over HTTP shows at once, and leaves when it runs out.
    const logs = await http.ask('scout', { kind: 'access', title: 'Read the staging logs' });
    const made = await http.decide(logs.id, { decision: 'approve', grant: { forMs: 5000, scope: 'agent-kind' } });
    const short = ui.root.getByTestId(`grant-${made.grant?.id}`);
    await expect(short).toBeVisible();
    await expect(short).toHaveCount(0, { timeout: 15_000 });
    await expect(ui.root.getByTestId('grants-empty')).toBeVisible();
    await http.decide(waits.id, { decision: 'reject' });
  });

  test('after 20 approvals unchanged, Reef proposes a rule with its dry run; Adopt opens the editor on it, and only Save stores it', async ({ shell, page }) => {
    for (let i = 1; i <= 20; i++) await http.decided('scout', { kind: 'comms', title: `Send the weekly digest #${i}`, product: 'acme' }, 'approve');
    const { threshold, proposals } = await http.proposals();
    expect(threshold).toBe(20);
    expect(proposals.map((p) => `${p.entry.agent}/${p.entry.kind}`)).toEqual(['scout/comms']);
    const [proposal] = proposals as [Proposal];
    expect(proposal.rule.match).toEqual({ kinds: ['comms'], agents: ['scout'], risks: ['low'] });
    expect(proposal.dryRun).toMatchObject({ matched: 20, agreedWithOperator: 20, disagreed: 0 });

    const ui = new Approvals(page);
    await ui.open(shell, reef);
    await ui.tab('proposals');
    const card = ui.root.getByTestId('proposal-scout-comms');
    await expect(card).toContainText(proposal.rule.name);
    await expect(card).toContainText('comms · agent scout · risk low → approve');
    await expect(card).toContainText('20 approved unchanged in a row');
    await expect(card).toHaveAttribute('data-matched', String(proposal.dryRun.matched));
    await expect(card).toHaveAttribute('data-agreed', String(proposal.dryRun.agreedWithOperator));
    await expect(card).toHaveAttribute('data-disagreed', String(proposal.dryRun.disagreed));

    await card.getByTestId('proposal-adopt-scout-comms').click();
    await expect(ui.root.getByTestId('approvals-tab-policies')).toHaveAttribute('aria-selected', 'true');
    await expect(ui.field('name')).toHaveValue(proposal.rule.name);
    await expect(ui.field('name')).toBeFocused();
    await expect(ui.field('agents')).toHaveValue('scout');
    await expect(ui.editor.getByTestId('policy-kinds-comms')).toHaveAttribute('aria-pressed', 'true');
    await expect(ui.editor.getByTestId('policy-risks-low')).toHaveAttribute('aria-pressed', 'true');
    await expect(ui.editor.getByTestId('policy-note')).toContainText('nothing is saved until you save it');
    await expect(ui.editor.getByTestId('policy-dryrun')).toHaveAttribute('data-matched', String(proposal.dryRun.matched));
    // Nothing is stored until Save.
    expect(await http.policies()).toEqual([]);
    await ui.field('name').fill('Scout digests');
    await ui.editor.getByTestId('policy-save').click();
    await expect(ui.editor).toHaveCount(0);
    const [saved] = (await http.policies()) as [Policy];
    expect(saved).toMatchObject({ name: 'Scout digests', enabled: true, action: 'approve', match: proposal.rule.match });
    const next = await http.ask('scout', { kind: 'comms', title: 'Send the weekly digest #21', product: 'acme' });
    expect(next).toMatchObject({ status: 'approved', decidedBy: `policy:${saved.id}` });
    // Adopted, it is no longer proposed.
    await ui.tab('proposals');
    await expect(ui.root.getByTestId('proposals-empty')).toBeVisible();
  });
  test('screenshots of Policies (a rule with its dry run) and Grants for the docs', async ({ shell, page }) => {
    await http.putPolicy({ name: 'Reject large spend', match: { kinds: ['spend'], minAmountUsd: 1000 }, action: 'reject', position: 0 });
    await http.putPolicy({ name: 'Docs deploys from forge', enabled: false, match: { kinds: ['deploy'], agents: ['forge'], products: ['acme'] }, action: 'approve' });
    const grants: Array<[string, Record<string, unknown>, number | null, string]> = [
      ['forge', { kind: 'deploy', title: 'Deploy search 2.8 to staging', product: 'acme', risk: 'medium' }, 3_600_000, 'agent-kind-product'],
      ['smith', { kind: 'spend', title: 'Rent a GPU hour', amountUsd: 3 }, 30 * 60_000, 'agent-kind'],
      ['scout', { kind: 'access', title: 'Read the billing dashboard', product: 'globex' }, null, 'agent-kind-product'],
    ];
    for (const [agent, body, forMs, scope] of grants) {
      const a = await http.ask(agent, body);
      await http.decide(a.id, { decision: 'approve', grant: { forMs, scope } });
    }

    const ui = new Approvals(page);
    await page.setViewportSize({ width: 1440, height: 1000 });
    await ui.open(shell, reef);
    await ui.tab('policies');
    await expect(ui.root.locator('[data-testid^="policy-po_"]')).toHaveCount(3);
    await ui.root.getByTestId('policy-new').click();
    await ui.field('name').fill('Small spend from forge');
    await ui.editor.getByTestId('policy-kinds-spend').click();
    await ui.editor.getByTestId('policy-risks-low').click();
    await ui.field('agents').fill('forge');
    await ui.field('max').fill('20');
    await ui.field('max').press('Enter');
    await expect(ui.editor.getByTestId('policy-dryrun')).toBeVisible();
    await page.mouse.move(0, 0);
    await shot(page, ui.root, ui.editor, 'approvals-policies.png');
    await page.keyboard.press('Escape');
    await expect(ui.editor).toHaveCount(0);

    await ui.tab('grants');
    await expect(ui.root.locator('[data-testid^="grant-left-"]')).toHaveCount(2);
    await expect(ui.root.locator('[data-testid^="grant-revoke-gr_"]')).toHaveCount(3);
    await shot(page, ui.root, ui.root.getByTestId('approvals-grants'), 'approvals-grants.png');
  });
});
