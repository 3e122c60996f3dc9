import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

/** The repository's root, from tests/kubernetes/dist/test. */
export const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
export const KUBERNETES_DIR = path.join(ROOT, 'deploy', 'kubernetes');
export const OVERLAYS = ['demo', 'production'] as const;
export type Overlay = (typeof OVERLAYS)[number];

/** One object of a rendered overlay, as YAML gives it: checked by the schemas, not typed here. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  [field: string]: unknown;
}

/** kubectl 1.27 or later (kustomize v5 built in); KUBECTL names another binary. */
const KUBECTL = process.env.KUBECTL ?? 'kubectl';

function kubectl(args: string[]): string {
  try {
    return execFileSync(KUBECTL, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        'kubectl is not installed: install kubectl 1.27 or later (it renders kustomizations offline, no cluster needed), e.g. `apt-get install kubectl` from the Kubernetes apt repository',
        { cause: error },
      );
    }
    throw error;
  }
}

/** `kubectl kustomize deploy/kubernetes/overlays/<overlay>`, parsed. */
export function render(overlay: Overlay): K8sObject[] {
  return parseStream(kubectl(['kustomize', path.join(KUBERNETES_DIR, 'overlays', overlay)]), `overlay ${overlay}`);
}

const renderedCache = new Map<Overlay, K8sObject[]>();

/** The same, rendered once per test process. Callers copy before changing anything. */
export function rendered(overlay: Overlay): K8sObject[] {
  if (!renderedCache.has(overlay)) renderedCache.set(overlay, render(overlay));
  return renderedCache.get(overlay)!;
}

/** The Secrets create-secrets.sh would create, printed by its --dry-run (kubectl, no cluster). */
export function secretsOfScript(production: boolean): K8sObject[] {
  const script = path.join(KUBERNETES_DIR, 'create-secrets.sh');
  const args = production ? ['--production', '--dry-run'] : ['--dry-run'];
  const env = {
    ...process.env,
    PAYMENT_PROVIDER_URL: 'https://cards.example.com/',
    SMTP_URL: 'smtps://shop:secret@mail.example.com:465',
    EMAIL_FROM: 'Shop <orders@shop.example>',
  };
  try {
    const output = execFileSync('sh', [script, ...args], { cwd: ROOT, encoding: 'utf8', env });
    return parseStream(output, 'create-secrets.sh --dry-run');
  } catch (error) {
    throw new Error(`create-secrets.sh --dry-run failed (it needs kubectl): ${(error as Error).message}`, { cause: error });
  }
}

/** A YAML stream of objects; a document that does not parse fails, empty ones are skipped. */
export function parseStream(text: string, where: string): K8sObject[] {
  return parseAllDocuments(text).flatMap((document, index) => {
    if (document.errors.length > 0) throw new Error(`${where}, document ${index}: ${document.errors.map((e) => e.message).join('; ')}`);
    const value = document.toJS() as K8sObject | null;
    return value === null ? [] : [value];
  });
}

export const idOf = (object: K8sObject) => `${object.apiVersion} ${object.kind} ${object.metadata?.name}`;

export function ofKind(objects: readonly K8sObject[], kind: string): K8sObject[] {
  return objects.filter((object) => object.kind === kind);
}

export function named(objects: readonly K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((object) => object.kind === kind && object.metadata.name === name);
}

export function readRepoFile(relative: string): string {
  return readFileSync(path.join(ROOT, relative), 'utf8');
}

/** A deep copy, for the negative tests to break. */
export function copy<T>(value: T): T {
  return structuredClone(value);
}
