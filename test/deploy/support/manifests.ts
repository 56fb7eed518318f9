import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { parseAllDocuments } from 'yaml';

/** The repository root. */
export const ROOT = join(import.meta.dirname, '../../..');
/** The Kubernetes manifests (a kustomize base). */
export const DEPLOY_DIR = join(ROOT, 'deploy/k8s');

/** A Kubernetes object as read from YAML. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** One object of a manifest file. */
export interface ManifestDocument {
  file: string;
  manifest: Manifest;
}

/** A model class of kubernetes-models: `new Model(data).validate()` throws on a schema violation. */
type ModelClass = new (data: never) => { validate(): void };

/**
 * The schema of every kind deploy/k8s may hold, keyed `apiVersion/kind`, from kubernetes-models
 * (the Kubernetes OpenAPI schemas) and @kubernetes-models/prometheus-operator (the CRDs).
 * A kind not listed here has no schema to check against, and the test fails for it.
 */
export const SCHEMAS: ReadonlyMap<string, ModelClass> = new Map<string, ModelClass>([
  ['v1/ConfigMap', ConfigMap],
  ['v1/Service', Service],
  ['apps/v1/Deployment', Deployment],
  ['autoscaling/v2/HorizontalPodAutoscaler', HorizontalPodAutoscaler],
  ['policy/v1/PodDisruptionBudget', PodDisruptionBudget],
  ['monitoring.coreos.com/v1/ServiceMonitor', ServiceMonitor],
] as [string, ModelClass][]);

/**
 * Validates `manifest` against the schema of its kind.
 *
 * @throws Error naming the file, the kind and every schema violation.
 */
export function validateManifest({ file, manifest }: ManifestDocument): void {
  const key = `${manifest.apiVersion}/${manifest.kind}`;
  const Model = SCHEMAS.get(key);
  if (Model === undefined) throw new Error(`${file}: no schema for ${key} (add its model to SCHEMAS)`);
  try {
    new Model(manifest as never).validate();
  } catch (error) {
    throw new Error(`${file}: ${key} ${manifest.metadata?.name}: ${(error as Error).message}`, { cause: error });
  }
}

/** Parses every YAML document of a file. @throws Error naming the file and the parse errors. */
export function parseManifests(file: string, text: string): ManifestDocument[] {
  return parseAllDocuments(text).map((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((e) => e.message).join('; ')}`);
    return { file, manifest: document.toJS() as Manifest };
  });
}

/** The kustomization and every object of the files it lists, in order. */
export interface DeployBase {
  kustomization: { resources: string[]; [field: string]: unknown };
  /** `*.yaml` files of deploy/k8s besides kustomization.yaml. */
  files: string[];
  documents: ManifestDocument[];
  /** The raw text of each listed file (for the comments that carry arithmetic). */
  texts: ReadonlyMap<string, string>;
}

export async function loadDeployBase(): Promise<DeployBase> {
  const [kustomization] = parseManifests('kustomization.yaml', await readFile(join(DEPLOY_DIR, 'kustomization.yaml'), 'utf8'));
  const files = (await readdir(DEPLOY_DIR)).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml').toSorted();
  const resources = (kustomization!.manifest as unknown as DeployBase['kustomization']).resources;
  const documents: ManifestDocument[] = [];
  const texts = new Map<string, string>();
  for (const file of resources) {
    const text = await readFile(join(DEPLOY_DIR, file), 'utf8');
    texts.set(file, text);
    documents.push(...parseManifests(file, text));
  }
  return { kustomization: kustomization!.manifest as unknown as DeployBase['kustomization'], files, documents, texts };
}

/** The one object of `kind` named `name` (or the only one of its kind). @throws Error when there is none or several. */
export function find<T = Manifest>(base: DeployBase, kind: string, name?: string): T {
  const found = base.documents.filter(({ manifest }) => manifest.kind === kind && (name === undefined || manifest.metadata.name === name));
  if (found.length !== 1) throw new Error(`deploy/k8s: expected one ${kind}${name ? ` named ${name}` : ''}, found ${found.length}`);
  return found[0]!.manifest as T;
}

/** Every object of `kind`. */
export function all<T = Manifest>(base: DeployBase, kind: string): T[] {
  return base.documents.filter(({ manifest }) => manifest.kind === kind).map(({ manifest }) => manifest as T);
}

/** Whether a label selector's `matchLabels` selects objects carrying `labels`. */
export function selects(matchLabels: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(matchLabels).every(([key, value]) => labels?.[key] === value);
}
