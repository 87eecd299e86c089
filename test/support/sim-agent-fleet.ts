import { agentServiceClient, type AgentServiceStub } from './agent-service.client.js';
import { FakeResults, SimAgent, type SimAgentEvents, type SimAgentOptions } from './sim-agent.js';

export interface SimAgentFleetOptions {
  address: string;
  count: number;
  enrollmentToken: string;
  heartbeatMs: number;
  layerNames: string[];
  runMs: () => number;
  namePrefix?: string;
  /** TCP connections to share among the agents; default one per agent, as separate processes would have. */
  connections?: number;
  /** The last this-many agents fetch the model on their first job (the first ones take the early, single jobs). */
  fetchers?: number;
  events?: SimAgentEvents;
  maxUploadTries?: number;
}

/** Many simulated agents in this process, on `connections` gRPC channels. */
export class SimAgentFleet {
  readonly agents: SimAgent[];
  private readonly stubs: AgentServiceStub[];

  constructor(opts: SimAgentFleetOptions) {
    const connections = Math.max(1, Math.min(opts.count, opts.connections ?? opts.count));
    this.stubs = Array.from({ length: connections }, () => agentServiceClient(opts.address));
    const results = new FakeResults(opts.layerNames);
    this.agents = Array.from({ length: opts.count }, (_, i) => {
      const o: SimAgentOptions = {
        name: `${opts.namePrefix ?? 'sim'}-${String(i).padStart(4, '0')}`,
        stub: this.stubs[i % connections]!,
        enrollmentToken: opts.enrollmentToken,
        heartbeatMs: opts.heartbeatMs,
        runMs: opts.runMs,
        results,
        fetchModel: i >= opts.count - (opts.fetchers ?? 0),
        events: opts.events,
        maxUploadTries: opts.maxUploadTries,
      };
      return new SimAgent(o);
    });
  }

  /**
   * Registers every agent, `concurrency` calls at a time: each call's latency in ms, and the errors
   * of those that failed (they are left out of `connectAll`).
   */
  async registerAll(concurrency: number): Promise<{ latencies: number[]; errors: string[] }> {
    const latencies: number[] = [];
    const errors: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < this.agents.length) {
        const agent = this.agents[next++]!;
        const t0 = performance.now();
        try {
          await agent.register();
          latencies.push(performance.now() - t0);
        } catch (err) {
          errors.push(`${agent.name}: ${(err as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { latencies, errors };
  }

  connectAll(): void {
    for (const a of this.agents) if (a.credential) a.connect();
  }

  get heartbeats(): number {
    return this.agents.reduce((n, a) => n + a.heartbeats, 0);
  }

  get uploading(): number {
    return this.agents.reduce((n, a) => n + a.uploading, 0);
  }

  close(): void {
    for (const a of this.agents) a.close();
    for (const s of this.stubs) s.close();
  }
}
