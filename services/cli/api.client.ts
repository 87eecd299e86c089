import type {
  AblationTable,
  AccuracyRow,
  CreateAccuracyBody,
  ArtifactRow,
  Comparison,
  DeviceRow,
  ErrorBody,
  ImportedModelRow,
  PredictedRewardAnswer,
  PredictedRewardBody,
  PredictedVariant,
  PredictionBody,
  PredictorSummary,
  RunLayers,
  StudyDetail,
  StudyPredictedVsMeasured,
  StudySummary,
  TrainPredictorBody,
} from '../query/contract.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export const NO_FLEET_HINT = 'Is a fleet running? `latfleet up` (npm start) starts one on this machine; --url or LATFLEET_HTTP_HOST and LATFLEET_HTTP_PORT point at another';

/** The query service's HTTP API, as the CLI uses it. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey?: string,
  ) {}

  private async request<T>(path: string, init: RequestInit = {}): Promise<T> {
    const text = await this.fetchText(path, init);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private async fetchText(path: string, init: RequestInit = {}): Promise<string> {
    let res: Response;
    const headers = new Headers(init.headers);
    if (this.apiKey) headers.set('authorization', `Bearer ${this.apiKey}`);
    try {
      res = await fetch(new URL(path, this.baseUrl), { ...init, headers });
    } catch (err) {
      const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new ApiError(0, `cannot reach the query service at ${this.baseUrl} (${cause}). ${NO_FLEET_HINT}`);
    }
    const text = await res.text();
    if (!res.ok) {
      let e: ErrorBody['error'] | undefined;
      try {
        e = (JSON.parse(text) as ErrorBody).error;
      } catch {
        e = undefined;
      }
      throw new ApiError(res.status, e?.message ?? `HTTP ${res.status}`, e?.field);
    }
    return text;
  }

  /** Imports a model file (ONNX or TFLite); the same file under the same name again answers with the stored model. */
  importModel(bytes: Uint8Array, name: string, inputShape?: readonly number[]): Promise<ImportedModelRow> {
    const q = new URLSearchParams({ name, ...(inputShape ? { inputShape: inputShape.join(',') } : {}) });
    return this.request(`/api/v1/models?${q}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
  }

  /** Attaches a vendor artifact compiled from a model (its sha256, an imported name or a variant name). */
  attachArtifact(ref: string, bytes: Uint8Array, format: string): Promise<ArtifactRow> {
    const q = new URLSearchParams({ format });
    return this.request(`/api/v1/models/${encodeURIComponent(ref)}/artifacts?${q}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
  }

  ready(): Promise<{ status: string }> {
    return this.request('/readyz');
  }

  /** Stores a top-1 for a model or a study's variant (the accuracy registry). */
  addAccuracy(body: Omit<CreateAccuracyBody, 'dataset'> & Partial<Pick<CreateAccuracyBody, 'dataset'>>): Promise<AccuracyRow> {
    return this.request('/api/v1/accuracies', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }

  /** Trains the next predictor version of a device from its stored runs. */
  trainPredictor(body: Partial<TrainPredictorBody> & { device: string }): Promise<PredictorSummary> {
    return this.request('/api/v1/predictors', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }

  predictors(device?: string): Promise<PredictorSummary[]> {
    return this.request(`/api/v1/predictors${device ? `?${new URLSearchParams({ device })}` : ''}`);
  }

  /** A study created with `measure`: predicted vs measured per candidate. */
  studyPredicted(id: string): Promise<StudyPredictedVsMeasured> {
    return this.request(`/api/v1/studies/${encodeURIComponent(id)}/predicted`);
  }

  predict(body: Partial<PredictionBody> & { variants: string[] }): Promise<{ predictions: PredictedVariant[] }> {
    return this.request('/api/v1/predictions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }

  /** MnasNet's reward on predicted latency (POST /api/v1/predictions/reward). */
  predictedReward(body: Omit<PredictedRewardBody, 'constraint'> & Partial<Pick<PredictedRewardBody, 'constraint'>>): Promise<PredictedRewardAnswer> {
    return this.request('/api/v1/predictions/reward', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }

  devices(): Promise<{ items: DeviceRow[] }> {
    return this.request('/api/v1/devices');
  }

  revokeDevice(ref: string): Promise<{ id: string; name: string; revoked: true; wasEnrolled: boolean }> {
    return this.request(`/api/v1/devices/${encodeURIComponent(ref)}/revoke`, { method: 'POST' });
  }

  createStudy(spec: unknown): Promise<StudyDetail> {
    return this.request('/api/v1/studies', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
  }

  studies(limit = 50, offset = 0, filters: { name?: string } = {}): Promise<{ items: StudySummary[]; total: number }> {
    const name = filters.name === undefined ? '' : `&name=${encodeURIComponent(filters.name)}`;
    return this.request(`/api/v1/studies?limit=${limit}&offset=${offset}${name}`);
  }

  study(id: string): Promise<StudyDetail> {
    return this.request(`/api/v1/studies/${encodeURIComponent(id)}`);
  }

  /** `includeFlagged`: runs the quality checks flagged stay in the figures (include=flagged). */
  comparison(id: string, options: { includeFlagged?: boolean } = {}): Promise<Comparison> {
    return this.request(`/api/v1/studies/${encodeURIComponent(id)}/comparison${options.includeFlagged ? '?include=flagged' : ''}`);
  }

  cancelStudy(id: string): Promise<{ id: string; status: string; abortedJobs: number }> {
    return this.request(`/api/v1/studies/${encodeURIComponent(id)}/cancel`, { method: 'POST' });
  }

  createEnrollmentToken(name: string, ttlHours: number | null): Promise<{ id: string; token: string; expiresAt: string | null }> {
    return this.request('/api/v1/enrollment-tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, ttlHours }),
    });
  }

  enrollmentTokens(): Promise<{ items: Array<{ id: string; name: string; createdAt: string; expiresAt: string | null; revokedAt: string | null }> }> {
    return this.request('/api/v1/enrollment-tokens');
  }

  revokeEnrollmentToken(id: string): Promise<{ id: string; revokedAt: string }> {
    return this.request(`/api/v1/enrollment-tokens/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  ablationTable(id: string, devices: readonly string[] = [], opts: TableOptions = {}): Promise<AblationTable> {
    return this.request(`/api/v1/studies/${encodeURIComponent(id)}/table${tableQuery({ devices, ...opts })}`);
  }

  async ablationTableCsv(id: string, devices: readonly string[] = [], opts: TableOptions = {}): Promise<string> {
    return this.fetchText(`/api/v1/studies/${encodeURIComponent(id)}/table${tableQuery({ devices, ...opts, format: 'csv' })}`);
  }

  runLayers(id: string): Promise<RunLayers> {
    return this.request(`/api/v1/runs/${encodeURIComponent(id)}/layers`);
  }

  /** A study's figure as the service draws it: SVG, or the Vega-Lite spec (`vl.json`) as text. */
  figure(id: string, name: string, kind: 'svg' | 'vl.json', params: Record<string, string> = {}): Promise<string> {
    const q = new URLSearchParams(params).toString();
    return this.fetchText(`/api/v1/studies/${encodeURIComponent(id)}/figures/${encodeURIComponent(name)}.${kind}${q ? `?${q}` : ''}`);
  }
}

export interface TableOptions {
  /** keep runs flagged as throttled or busy in the figures (`include=flagged`) */
  includeFlagged?: boolean;
}

function tableQuery(o: TableOptions & { devices: readonly string[]; format?: 'csv' }): string {
  const params = new URLSearchParams();
  if (o.format) params.set('format', o.format);
  if (o.devices.length) params.set('device', o.devices.join(','));
  if (o.includeFlagged) params.set('include', 'flagged');
  const q = params.toString();
  return q ? `?${q}` : '';
}
