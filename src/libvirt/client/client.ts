// The typed libvirt API over one RPC connection: connection setup (AUTH_LIST, keepalive
// negotiation, OPEN), one method per procedure, and the event families of the codec's table,
// routed by message procedure and then callback id.
import { EventEmitter } from "node:events";
import {
  AuthType,
  type Domain,
  type DomainInterface,
  type DomainSnapshot,
  decodeFromBuffer,
  EventFamilies,
  type EventFamily,
  type EventKind,
  type EventPayload,
  eventKindOf,
  Feature,
  type LazyArray,
  type Network,
  type NetworkDhcpLease,
  type NodeInfo,
  type Procedure,
  Program,
  RemoteProcedure,
  type StoragePool,
  type StorageVol,
  type TypedParam,
} from "../codec/index.js";
import { ConnectionLostError, InvalidArgumentError, ProtocolError } from "../errors.js";
import {
  openUnixConnection,
  type RpcConnection,
  type RpcConnectionOptions,
  type RpcMessage,
} from "../transport/index.js";
import { resolveUri } from "./uri.js";

/**
 * Options of {@link connect}: where and how to open, plus the connection's tuning
 * (call timeout, calls in flight, keepalive, busy polling; see RpcConnectionOptions).
 */
export interface ConnectOptions extends RpcConnectionOptions {
  /** Dial this socket instead of the one the URI implies. */
  socketPath?: string;
  /** Open read-only (VIR_CONNECT_RO). */
  readOnly?: boolean;
}

/** `domainGetInfo` result. `maxMem` and `memory` in KiB, `cpuTime` in ns. */
export interface DomainInfo {
  state: number;
  maxMem: bigint;
  memory: bigint;
  nrVirtCpu: number;
  cpuTime: bigint;
}

/** `storagePoolGetInfo` result (bytes). */
export interface StoragePoolInfo {
  state: number;
  capacity: bigint;
  allocation: bigint;
  available: bigint;
}

/** `storageVolGetInfo` result (bytes). */
export interface StorageVolInfo {
  type: number;
  capacity: bigint;
  allocation: bigint;
}

/** A value of a bulk-stats record: ints/uints/doubles → number, (u)llong → bigint. */
export type StatValue = number | bigint | boolean | string;

/** One record of `getAllDomainStats`. */
export interface DomainStatsRecord {
  domain: Domain;
  params: Record<string, StatValue>;
}

export type {
  DomainLifecycleEvent,
  EventKind,
  EventPayload,
  PoolLifecycleEvent,
  PoolRefreshEvent,
} from "../codec/index.js";

/** One emitter event per event family of the codec's table, named by its kind. */
export type LibvirtEventMap = { [K in EventKind]: [EventPayload<K>] };

/** Events emitted by {@link LibvirtClient}: one per event kind (see registerEvents), and: */
export interface LibvirtClientEvents extends LibvirtEventMap {
  /** Exactly once when the connection ends; `err` is undefined after close(). */
  close: [err?: Error];
  /** An event message that could not be decoded (the connection survives). */
  error: [Error];
}

/** Any row of the event table, for code that handles every row alike. */
type AnyEventFamily = EventFamily<{ callbackID: number }, unknown>;

/**
 * One libvirt connection (one socket). Create it with {@link connect}. Calls may be issued
 * concurrently; at most `maxInFlight` are on the wire, the rest queue.
 */
export class LibvirtClient extends EventEmitter<LibvirtClientEvents> {
  /** The URI this client was opened with. */
  readonly uri: string;
  private readonly rpc: RpcConnection;
  /**
   * Each registered kind's callback id, as the daemon answered it. Ids of domain and pool
   * events are counted apart, so an id alone does not name a kind.
   */
  private readonly callbackIds = new Map<EventKind, number>();
  /** Registrations made or under way, so that a kind is registered once. */
  private readonly registrations = new Map<EventKind, Promise<number>>();
  private closeEmitted = false;

  /** @internal use {@link connect}. */
  constructor(uri: string, rpc: RpcConnection) {
    super();
    this.uri = uri;
    this.rpc = rpc;
    rpc.on("message", (m: RpcMessage) => this.onMessage(m));
    rpc.on("close", (err?: Error) => {
      if (this.closeEmitted) return;
      this.closeEmitted = true;
      this.emit("close", err);
    });
  }

  /** True once the connection has ended. */
  get closed(): boolean {
    return this.rpc.closed;
  }

  /** Calls sent and not yet answered, plus queued ones. */
  get pendingCalls(): number {
    return this.rpc.pendingCount;
  }

  /** Low-level: call any remote-program procedure from the table. */
  call<A, R>(proc: Procedure<A, R>, args: A, options?: { timeoutMs?: number }): Promise<R> {
    return this.rpc.call(Program.REMOTE, proc, args, options);
  }

  /** @internal the setup sequence run by {@link connect}. */
  async open(openName: string, readOnly: boolean): Promise<void> {
    const { types } = await this.call(RemoteProcedure.authList, undefined);
    if (types.length > 0 && !types.includes(AuthType.NONE)) {
      if (types.includes(AuthType.POLKIT)) {
        const { complete } = await this.call(RemoteProcedure.authPolkit, undefined);
        if (complete !== 1) {
          throw new ConnectionLostError("polkit authentication did not complete", {
            code: "AUTH_FAILED",
          });
        }
      } else {
        throw new ConnectionLostError(
          `the daemon offers only authentication types [${types.join(", ")}]; this client supports none (0) and polkit (2)`,
          { code: "AUTH_UNSUPPORTED" },
        );
      }
    }
    const { supported } = await this.call(RemoteProcedure.connectSupportsFeature, {
      feature: Feature.PROGRAM_KEEPALIVE,
    });
    if (supported === 1) this.rpc.startKeepalive();
    await this.call(RemoteProcedure.connectOpen, { name: openName, flags: readOnly ? 1 : 0 });
  }

  /** Sends CONNECT_CLOSE and closes the socket. Safe to call twice. */
  async close(): Promise<void> {
    if (this.rpc.closed) return;
    try {
      await this.call(RemoteProcedure.connectClose, undefined, { timeoutMs: 2000 });
    } catch {
      // Closing anyway: a failure here changes nothing for the caller.
    }
    await this.rpc.end();
  }

  /** Drops the connection at once (no CONNECT_CLOSE); calls in flight reject. */
  destroy(err?: Error): void {
    this.rpc.destroy(err);
  }

  // ---- connection and node --------------------------------------------------------------

  /** Hypervisor type, e.g. "Test" or "QEMU". */
  async getType(): Promise<string> {
    return (await this.call(RemoteProcedure.connectGetType, undefined)).type;
  }
  async getHostname(): Promise<string> {
    return (await this.call(RemoteProcedure.connectGetHostname, undefined)).hostname;
  }
  /** The canonical URI of the open connection, as the daemon reports it. */
  async getUri(): Promise<string> {
    return (await this.call(RemoteProcedure.connectGetUri, undefined)).uri;
  }
  /** Capabilities XML. Slow on qemu:///system (seconds): cache it. */
  async getCapabilities(): Promise<string> {
    return (await this.call(RemoteProcedure.connectGetCapabilities, undefined)).capabilities;
  }
  /** Hypervisor version, major * 1e6 + minor * 1e3 + release. */
  async getVersion(): Promise<bigint> {
    return (await this.call(RemoteProcedure.connectGetVersion, undefined)).hv_ver;
  }
  /** libvirt (daemon) version, major * 1e6 + minor * 1e3 + release. */
  async getLibVersion(): Promise<bigint> {
    return (await this.call(RemoteProcedure.connectGetLibVersion, undefined)).lib_ver;
  }
  /** Whether the daemon supports a feature (see Feature). */
  async supportsFeature(feature: number): Promise<boolean> {
    return (await this.call(RemoteProcedure.connectSupportsFeature, { feature })).supported === 1;
  }
  /** Host facts; memory in KiB. */
  nodeGetInfo(): Promise<NodeInfo> {
    return this.call(RemoteProcedure.nodeGetInfo, undefined);
  }
  /** Free host memory in bytes. */
  async nodeGetFreeMemory(): Promise<bigint> {
    return (await this.call(RemoteProcedure.nodeGetFreeMemory, undefined)).freeMem;
  }
  /** Host CPU time counters (ns) for one CPU or all (-1). */
  async nodeGetCpuStats(cpu = -1, flags = 0): Promise<Record<string, bigint>> {
    const first = await this.call(RemoteProcedure.nodeGetCpuStats, {
      cpuNum: cpu,
      nparams: 0,
      flags,
    });
    const all = await this.call(RemoteProcedure.nodeGetCpuStats, {
      cpuNum: cpu,
      nparams: first.nparams,
      flags,
    });
    return Object.fromEntries(all.params.map((p) => [p.field, p.value]));
  }
  /** Host memory counters (KiB) for one NUMA cell or all (-1). */
  async nodeGetMemoryStats(cell = -1, flags = 0): Promise<Record<string, bigint>> {
    const first = await this.call(RemoteProcedure.nodeGetMemoryStats, {
      nparams: 0,
      cellNum: cell,
      flags,
    });
    const all = await this.call(RemoteProcedure.nodeGetMemoryStats, {
      nparams: first.nparams,
      cellNum: cell,
      flags,
    });
    return Object.fromEntries(all.params.map((p) => [p.field, p.value]));
  }

  // ---- domains ------------------------------------------------------------------------

  /** All domains (flags: ListDomainsFlags; 0 = active and inactive). */
  async listAllDomains(flags = 0): Promise<Domain[]> {
    return (await this.call(RemoteProcedure.connectListAllDomains, { need_results: 1, flags }))
      .domains;
  }
  async domainLookupByName(name: string): Promise<Domain> {
    return (await this.call(RemoteProcedure.domainLookupByName, { name })).dom;
  }
  async domainLookupByUuid(uuid: string): Promise<Domain> {
    return (await this.call(RemoteProcedure.domainLookupByUuid, { uuid })).dom;
  }
  domainGetInfo(d: Domain): Promise<DomainInfo> {
    return this.call(RemoteProcedure.domainGetInfo, { dom: d });
  }
  /** State (DomainState) and its reason. */
  domainGetState(d: Domain, flags = 0): Promise<{ state: number; reason: number }> {
    return this.call(RemoteProcedure.domainGetState, { dom: d, flags });
  }
  /** Defines (or redefines) a persistent domain from XML. */
  async domainDefineXml(xml: string, flags = 0): Promise<Domain> {
    if (flags === 0) return (await this.call(RemoteProcedure.domainDefineXml, { xml })).dom;
    return (await this.call(RemoteProcedure.domainDefineXmlFlags, { xml, flags })).dom;
  }
  /** Starts a defined domain (flags: DomainCreateFlags); returns it with its new id. */
  async domainCreate(d: Domain, flags = 0): Promise<Domain> {
    return (await this.call(RemoteProcedure.domainCreateWithFlags, { dom: d, flags })).dom;
  }
  async domainDestroy(d: Domain, flags = 0): Promise<void> {
    if (flags === 0) await this.call(RemoteProcedure.domainDestroy, { dom: d });
    else await this.call(RemoteProcedure.domainDestroyFlags, { dom: d, flags });
  }
  async domainUndefine(d: Domain, flags = 0): Promise<void> {
    if (flags === 0) await this.call(RemoteProcedure.domainUndefine, { dom: d });
    else await this.call(RemoteProcedure.domainUndefineFlags, { dom: d, flags });
  }
  async domainSuspend(d: Domain): Promise<void> {
    await this.call(RemoteProcedure.domainSuspend, { dom: d });
  }
  async domainResume(d: Domain): Promise<void> {
    await this.call(RemoteProcedure.domainResume, { dom: d });
  }
  async domainShutdown(d: Domain, flags = 0): Promise<void> {
    if (flags === 0) await this.call(RemoteProcedure.domainShutdown, { dom: d });
    else await this.call(RemoteProcedure.domainShutdownFlags, { dom: d, flags });
  }
  async domainReboot(d: Domain, flags = 0): Promise<void> {
    await this.call(RemoteProcedure.domainReboot, { dom: d, flags });
  }
  async domainManagedSave(d: Domain, flags = 0): Promise<void> {
    await this.call(RemoteProcedure.domainManagedSave, { dom: d, flags });
  }
  /** Saves the domain's memory to `path` (written by the daemon) and stops it. */
  async domainSave(
    d: Domain,
    path: string,
    opts: { dxml?: string | null; flags?: number } = {},
  ): Promise<void> {
    await this.call(RemoteProcedure.domainSaveFlags, {
      dom: d,
      to: path,
      dxml: opts.dxml ?? null,
      flags: opts.flags ?? 0,
    });
  }
  /** Restores a domain saved with domainSave. */
  async domainRestore(
    path: string,
    opts: { dxml?: string | null; flags?: number } = {},
  ): Promise<void> {
    await this.call(RemoteProcedure.domainRestoreFlags, {
      from: path,
      dxml: opts.dxml ?? null,
      flags: opts.flags ?? 0,
    });
  }
  /** The domain definition inside a save image written by {@link domainSave} (read by the daemon). */
  async domainSaveImageGetXmlDesc(file: string, flags = 0): Promise<string> {
    return (await this.call(RemoteProcedure.domainSaveImageGetXmlDesc, { file, flags })).xml;
  }
  async domainGetXmlDesc(d: Domain, flags = 0): Promise<string> {
    return (await this.call(RemoteProcedure.domainGetXmlDesc, { dom: d, flags })).xml;
  }
  /**
   * Bulk stats (CONNECT_GET_ALL_DOMAIN_STATS): one call for many domains. `doms` empty =
   * every domain (then `flags` may filter, e.g. ListDomainsFlags); `stats` is StatsTypes bits.
   */
  async getAllDomainStats(doms: Domain[], stats: number, flags = 0): Promise<DomainStatsRecord[]> {
    return [...(await this.getAllDomainStatsLazily(doms, stats, flags))];
  }
  /**
   * {@link getAllDomainStats} decoded record by record as the result is iterated: for a
   * reader that keeps little of each record (a stats sweep over 10,000 domains), so that each
   * becomes garbage at once rather than all of them surviving to the end of the decode. A
   * malformed record throws ProtocolError from the iteration.
   */
  async getAllDomainStatsLazily(
    doms: Domain[],
    stats: number,
    flags = 0,
  ): Promise<LazyArray<DomainStatsRecord>> {
    const { retStats } = await this.call(RemoteProcedure.connectGetAllDomainStats, {
      doms,
      stats,
      flags,
    });
    return {
      length: retStats.length,
      *[Symbol.iterator]() {
        for (const rec of retStats) {
          const params: Record<string, StatValue> = {};
          for (const p of rec.params) params[p.field] = p.value;
          yield { domain: rec.dom, params };
        }
      },
    };
  }
  /**
   * Peer-to-peer migration driven by the source daemon (flags must include
   * MigrateFlags.PEER2PEER). `dconnuri` is the destination as the source daemon sees it.
   */
  async domainMigratePerform3Params(
    d: Domain,
    dconnuri: string | null,
    params: TypedParam[],
    flags: number,
  ): Promise<void> {
    await this.call(
      RemoteProcedure.domainMigratePerform3Params,
      { dom: d, dconnuri, params, cookie_in: Buffer.alloc(0), flags },
      { timeoutMs: 0 },
    );
  }

  // ---- storage pools ----------------------------------------------------------------

  async listAllStoragePools(flags = 0): Promise<StoragePool[]> {
    return (await this.call(RemoteProcedure.connectListAllStoragePools, { need_results: 1, flags }))
      .pools;
  }
  async storagePoolLookupByName(name: string): Promise<StoragePool> {
    return (await this.call(RemoteProcedure.storagePoolLookupByName, { name })).pool;
  }
  async storagePoolLookupByUuid(uuid: string): Promise<StoragePool> {
    return (await this.call(RemoteProcedure.storagePoolLookupByUuid, { uuid })).pool;
  }
  async storagePoolLookupByVolume(v: StorageVol): Promise<StoragePool> {
    return (await this.call(RemoteProcedure.storagePoolLookupByVolume, { vol: v })).pool;
  }
  async storagePoolDefineXml(xml: string, flags = 0): Promise<StoragePool> {
    return (await this.call(RemoteProcedure.storagePoolDefineXml, { xml, flags })).pool;
  }
  async storagePoolCreateXml(xml: string, flags = 0): Promise<StoragePool> {
    return (await this.call(RemoteProcedure.storagePoolCreateXml, { xml, flags })).pool;
  }
  async storagePoolCreate(p: StoragePool, flags = 0): Promise<void> {
    await this.call(RemoteProcedure.storagePoolCreate, { pool: p, flags });
  }
  async storagePoolBuild(p: StoragePool, flags = 0): Promise<void> {
    await this.call(RemoteProcedure.storagePoolBuild, { pool: p, flags });
  }
  async storagePoolDestroy(p: StoragePool): Promise<void> {
    await this.call(RemoteProcedure.storagePoolDestroy, { pool: p });
  }
  async storagePoolDelete(p: StoragePool, flags = 0): Promise<void> {
    await this.call(RemoteProcedure.storagePoolDelete, { pool: p, flags });
  }
  async storagePoolUndefine(p: StoragePool): Promise<void> {
    await this.call(RemoteProcedure.storagePoolUndefine, { pool: p });
  }
  async storagePoolRefresh(p: StoragePool, flags = 0): Promise<void> {
    await this.call(RemoteProcedure.storagePoolRefresh, { pool: p, flags });
  }
  storagePoolGetInfo(p: StoragePool): Promise<StoragePoolInfo> {
    return this.call(RemoteProcedure.storagePoolGetInfo, { pool: p });
  }
  async storagePoolGetXmlDesc(p: StoragePool, flags = 0): Promise<string> {
    return (await this.call(RemoteProcedure.storagePoolGetXmlDesc, { pool: p, flags })).xml;
  }
  async storagePoolListAllVolumes(p: StoragePool, flags = 0): Promise<StorageVol[]> {
    return (
      await this.call(RemoteProcedure.storagePoolListAllVolumes, {
        pool: p,
        need_results: 1,
        flags,
      })
    ).vols;
  }

  // ---- storage volumes --------------------------------------------------------------

  async storageVolCreateXml(p: StoragePool, xml: string, flags = 0): Promise<StorageVol> {
    return (await this.call(RemoteProcedure.storageVolCreateXml, { pool: p, xml, flags })).vol;
  }
  async storageVolDelete(v: StorageVol, flags = 0): Promise<void> {
    await this.call(RemoteProcedure.storageVolDelete, { vol: v, flags });
  }
  async storageVolLookupByName(p: StoragePool, name: string): Promise<StorageVol> {
    return (await this.call(RemoteProcedure.storageVolLookupByName, { pool: p, name })).vol;
  }
  async storageVolLookupByKey(key: string): Promise<StorageVol> {
    return (await this.call(RemoteProcedure.storageVolLookupByKey, { key })).vol;
  }
  async storageVolLookupByPath(path: string): Promise<StorageVol> {
    return (await this.call(RemoteProcedure.storageVolLookupByPath, { path })).vol;
  }
  storageVolGetInfo(v: StorageVol): Promise<StorageVolInfo> {
    return this.call(RemoteProcedure.storageVolGetInfo, { vol: v });
  }
  async storageVolGetXmlDesc(v: StorageVol, flags = 0): Promise<string> {
    return (await this.call(RemoteProcedure.storageVolGetXmlDesc, { vol: v, flags })).xml;
  }
  async storageVolGetPath(v: StorageVol): Promise<string> {
    return (await this.call(RemoteProcedure.storageVolGetPath, { vol: v })).name;
  }

  // ---- networks -----------------------------------------------------------------------

  /** All virtual networks (flags: ListNetworksFlags; 0 = active and inactive). */
  async listAllNetworks(flags = 0): Promise<Network[]> {
    return (await this.call(RemoteProcedure.connectListAllNetworks, { need_results: 1, flags }))
      .nets;
  }
  async networkLookupByName(name: string): Promise<Network> {
    return (await this.call(RemoteProcedure.networkLookupByName, { name })).net;
  }
  async networkLookupByUuid(uuid: string): Promise<Network> {
    return (await this.call(RemoteProcedure.networkLookupByUuid, { uuid })).net;
  }
  /** Defines a persistent (inactive) network from XML (flags: NetworkDefineFlags). */
  async networkDefineXml(xml: string, flags = 0): Promise<Network> {
    if (flags === 0) return (await this.call(RemoteProcedure.networkDefineXml, { xml })).net;
    return (await this.call(RemoteProcedure.networkDefineXmlFlags, { xml, flags })).net;
  }
  /** Creates and starts a transient network from XML (flags: NetworkCreateFlags). */
  async networkCreateXml(xml: string, flags = 0): Promise<Network> {
    if (flags === 0) return (await this.call(RemoteProcedure.networkCreateXml, { xml })).net;
    return (await this.call(RemoteProcedure.networkCreateXmlFlags, { xml, flags })).net;
  }
  /** Starts a defined network. */
  async networkCreate(n: Network): Promise<void> {
    await this.call(RemoteProcedure.networkCreate, { net: n });
  }
  async networkDestroy(n: Network): Promise<void> {
    await this.call(RemoteProcedure.networkDestroy, { net: n });
  }
  async networkUndefine(n: Network): Promise<void> {
    await this.call(RemoteProcedure.networkUndefine, { net: n });
  }
  async networkGetAutostart(n: Network): Promise<boolean> {
    return (await this.call(RemoteProcedure.networkGetAutostart, { net: n })).autostart !== 0;
  }
  async networkSetAutostart(n: Network, autostart: boolean): Promise<void> {
    await this.call(RemoteProcedure.networkSetAutostart, { net: n, autostart: autostart ? 1 : 0 });
  }
  /** The network's XML (flags: NetworkXmlFlags). */
  async networkGetXmlDesc(n: Network, flags = 0): Promise<string> {
    return (await this.call(RemoteProcedure.networkGetXmlDesc, { net: n, flags })).xml;
  }
  /** The host bridge device the network uses, e.g. "virbr0". */
  async networkGetBridgeName(n: Network): Promise<string> {
    return (await this.call(RemoteProcedure.networkGetBridgeName, { net: n })).name;
  }
  async networkIsActive(n: Network): Promise<boolean> {
    return (await this.call(RemoteProcedure.networkIsActive, { net: n })).active !== 0;
  }
  async networkIsPersistent(n: Network): Promise<boolean> {
    return (await this.call(RemoteProcedure.networkIsPersistent, { net: n })).persistent !== 0;
  }
  /** The network's DHCP leases, all or those of one MAC address. */
  async networkGetDhcpLeases(
    n: Network,
    mac: string | null = null,
    flags = 0,
  ): Promise<NetworkDhcpLease[]> {
    return (
      await this.call(RemoteProcedure.networkGetDhcpLeases, {
        net: n,
        mac,
        need_results: 1,
        flags,
      })
    ).leases;
  }

  // ---- snapshots ----------------------------------------------------------------------

  /** Takes a snapshot described by `xml` (`<domainsnapshot/>` lets libvirt name it). */
  async domainSnapshotCreateXml(d: Domain, xml: string, flags = 0): Promise<DomainSnapshot> {
    return (
      await this.call(RemoteProcedure.domainSnapshotCreateXml, { dom: d, xml_desc: xml, flags })
    ).snap;
  }
  /** The domain's snapshots (flags: DomainSnapshotListFlags). */
  async domainListAllSnapshots(d: Domain, flags = 0): Promise<DomainSnapshot[]> {
    return (
      await this.call(RemoteProcedure.domainListAllSnapshots, { dom: d, need_results: 1, flags })
    ).snapshots;
  }
  /** A snapshot's children (with DomainSnapshotListFlags.DESCENDANTS: all its descendants). */
  async domainSnapshotListAllChildren(s: DomainSnapshot, flags = 0): Promise<DomainSnapshot[]> {
    return (
      await this.call(RemoteProcedure.domainSnapshotListAllChildren, {
        snapshot: s,
        need_results: 1,
        flags,
      })
    ).snapshots;
  }
  async domainSnapshotLookupByName(d: Domain, name: string, flags = 0): Promise<DomainSnapshot> {
    return (await this.call(RemoteProcedure.domainSnapshotLookupByName, { dom: d, name, flags }))
      .snap;
  }
  /** The snapshot's parent; rejects with NO_DOMAIN_SNAPSHOT for a root snapshot. */
  async domainSnapshotGetParent(s: DomainSnapshot, flags = 0): Promise<DomainSnapshot> {
    return (await this.call(RemoteProcedure.domainSnapshotGetParent, { snap: s, flags })).snap;
  }
  async domainSnapshotGetXmlDesc(s: DomainSnapshot, flags = 0): Promise<string> {
    return (await this.call(RemoteProcedure.domainSnapshotGetXmlDesc, { snap: s, flags })).xml;
  }
  async domainSnapshotIsCurrent(s: DomainSnapshot, flags = 0): Promise<boolean> {
    return (
      (await this.call(RemoteProcedure.domainSnapshotIsCurrent, { snap: s, flags })).current !== 0
    );
  }
  async domainSnapshotHasMetadata(s: DomainSnapshot, flags = 0): Promise<boolean> {
    return (
      (await this.call(RemoteProcedure.domainSnapshotHasMetadata, { snap: s, flags })).metadata !==
      0
    );
  }
  /** The domain's current snapshot; rejects with NO_DOMAIN_SNAPSHOT when it has none. */
  async domainSnapshotCurrent(d: Domain, flags = 0): Promise<DomainSnapshot> {
    return (await this.call(RemoteProcedure.domainSnapshotCurrent, { dom: d, flags })).snap;
  }
  async domainHasCurrentSnapshot(d: Domain, flags = 0): Promise<boolean> {
    return (
      (await this.call(RemoteProcedure.domainHasCurrentSnapshot, { dom: d, flags })).result !== 0
    );
  }
  /** Reverts the domain to the snapshot (flags: DomainSnapshotRevertFlags). */
  async domainRevertToSnapshot(s: DomainSnapshot, flags = 0): Promise<void> {
    await this.call(RemoteProcedure.domainRevertToSnapshot, { snap: s, flags });
  }
  /** Deletes the snapshot (flags: DomainSnapshotDeleteFlags, e.g. CHILDREN). */
  async domainSnapshotDelete(s: DomainSnapshot, flags = 0): Promise<void> {
    await this.call(RemoteProcedure.domainSnapshotDelete, { snap: s, flags });
  }

  // ---- domain settings ----------------------------------------------------------------

  /** Creates and starts a transient domain (no persistent definition) from XML. */
  async domainCreateXml(xml: string, flags = 0): Promise<Domain> {
    return (await this.call(RemoteProcedure.domainCreateXml, { xml_desc: xml, flags })).dom;
  }
  async domainGetAutostart(d: Domain): Promise<boolean> {
    return (await this.call(RemoteProcedure.domainGetAutostart, { dom: d })).autostart !== 0;
  }
  async domainSetAutostart(d: Domain, autostart: boolean): Promise<void> {
    await this.call(RemoteProcedure.domainSetAutostart, { dom: d, autostart: autostart ? 1 : 0 });
  }
  async domainIsActive(d: Domain): Promise<boolean> {
    return (await this.call(RemoteProcedure.domainIsActive, { dom: d })).active !== 0;
  }
  /** Whether the domain has a persistent definition (false: transient). */
  async domainIsPersistent(d: Domain): Promise<boolean> {
    return (await this.call(RemoteProcedure.domainIsPersistent, { dom: d })).persistent !== 0;
  }
  /** Sets the vCPU count (flags: DomainVcpuFlags, e.g. LIVE | CONFIG, or MAXIMUM). */
  async domainSetVcpusFlags(d: Domain, nvcpus: number, flags = 0): Promise<void> {
    await this.call(RemoteProcedure.domainSetVcpusFlags, { dom: d, nvcpus, flags });
  }
  /** The vCPU count (flags: DomainVcpuFlags; MAXIMUM for the maximum). */
  async domainGetVcpusFlags(d: Domain, flags = 0): Promise<number> {
    return (await this.call(RemoteProcedure.domainGetVcpusFlags, { dom: d, flags })).num;
  }
  /** Sets the memory in KiB (flags: DomainMemoryModFlags, e.g. LIVE | CONFIG, or MAXIMUM). */
  async domainSetMemoryFlags(d: Domain, memoryKiB: bigint, flags = 0): Promise<void> {
    await this.call(RemoteProcedure.domainSetMemoryFlags, { dom: d, memory: memoryKiB, flags });
  }
  /** Sets how often (s) the balloon driver refreshes memory stats; 0 turns them off. */
  async domainSetMemoryStatsPeriod(d: Domain, periodSeconds: number, flags = 0): Promise<void> {
    await this.call(RemoteProcedure.domainSetMemoryStatsPeriod, {
      dom: d,
      period: periodSeconds,
      flags,
    });
  }
  /** The guest's interfaces and their addresses, as `source` (InterfaceAddressesSource) sees them. */
  async domainInterfaceAddresses(d: Domain, source: number, flags = 0): Promise<DomainInterface[]> {
    return (await this.call(RemoteProcedure.domainInterfaceAddresses, { dom: d, source, flags }))
      .ifaces;
  }
  async domainHasManagedSaveImage(d: Domain, flags = 0): Promise<boolean> {
    return (
      (await this.call(RemoteProcedure.domainHasManagedSaveImage, { dom: d, flags })).result !== 0
    );
  }
  /** Removes the managed-save image: the next start boots afresh. */
  async domainManagedSaveRemove(d: Domain, flags = 0): Promise<void> {
    await this.call(RemoteProcedure.domainManagedSaveRemove, { dom: d, flags });
  }

  // ---- events -------------------------------------------------------------------------

  /**
   * Subscribes to the given event families (for every object); each then arrives as the
   * emitter event of its kind, e.g. `client.on("domainLifecycle", …)`. A kind already
   * registered is not registered twice. Rejects like any call (nothing is retried).
   */
  async registerEvents(kinds: Iterable<EventKind>): Promise<void> {
    await Promise.all([...new Set(kinds)].map((kind) => this.registerEvent(kind)));
  }

  /** Ends the subscriptions of the given kinds; kinds not registered are skipped. */
  async deregisterEvents(kinds: Iterable<EventKind>): Promise<void> {
    await Promise.all([...new Set(kinds)].map((kind) => this.deregisterEvent(kind)));
  }

  /** The kinds registered or being registered. */
  get registeredEvents(): EventKind[] {
    return [...this.registrations.keys()];
  }

  private registerEvent(kind: EventKind): Promise<number> {
    const known = this.registrations.get(kind);
    if (known) return known;
    const row = familyOf(kind);
    const registration: Promise<number> = this.call(row.register, { eventID: row.eventId }).then(
      ({ callbackID }) => {
        // Unless deregistered meanwhile, events carrying this id are now ours.
        if (this.registrations.get(kind) === registration) this.callbackIds.set(kind, callbackID);
        return callbackID;
      },
      (err: unknown) => {
        if (this.registrations.get(kind) === registration) this.registrations.delete(kind);
        throw err;
      },
    );
    this.registrations.set(kind, registration);
    return registration;
  }

  private async deregisterEvent(kind: EventKind): Promise<void> {
    const registration = this.registrations.get(kind);
    if (!registration) return;
    this.registrations.delete(kind);
    this.callbackIds.delete(kind);
    let callbackID: number;
    try {
      callbackID = await registration;
    } catch {
      return; // never registered
    }
    await this.call(familyOf(kind).deregister, { callbackID });
  }

  private onMessage(m: RpcMessage): void {
    const kind = eventKindOf(m.program, m.procedure);
    if (kind === undefined) return; // a family we do not route
    try {
      const row = familyOf(kind);
      const body = decodeFromBuffer(row.message.body, m.payload, row.message.name);
      if (this.callbackIds.get(kind) !== body.callbackID) return; // not our registration
      (this as EventEmitter).emit(kind, row.payload(body));
    } catch (err) {
      // A listener's own exception or an undecodable event must not kill the connection.
      if (this.listenerCount("error") > 0) {
        this.emit(
          "error",
          err instanceof Error ? err : new ProtocolError("event handling failed", { cause: err }),
        );
      }
    }
  }
}

/** The table row of `kind`; refuses a name that is not one (callers from plain JavaScript). */
function familyOf(kind: EventKind): AnyEventFamily {
  const row: AnyEventFamily | undefined = Object.hasOwn(EventFamilies, kind)
    ? EventFamilies[kind]
    : undefined;
  if (!row) throw new InvalidArgumentError(`unknown event kind: ${String(kind)}`);
  return row;
}

/**
 * Opens a libvirt connection: dials the socket the URI names, then AUTH_LIST (and polkit if
 * required), keepalive negotiation (feature 10) and CONNECT_OPEN.
 *
 * URIs: `test:///default`, `qemu:///system`, `test+unix:///abs/file.xml`,
 * `qemu+unix:///system?socket=/path`. Rejects with InvalidArgumentError (bad URI),
 * ConnectionLostError (socket) or LibvirtError (the daemon refused).
 */
export async function connect(uri: string, opts: ConnectOptions = {}): Promise<LibvirtClient> {
  if (typeof uri !== "string" || uri === "") {
    throw new InvalidArgumentError("connect: a libvirt URI is required");
  }
  const { socketPath, openName } = resolveUri(uri, opts.socketPath);
  const rpc = await openUnixConnection(socketPath, opts);
  const client = new LibvirtClient(uri, rpc);
  try {
    await client.open(openName, opts.readOnly ?? false);
  } catch (err) {
    client.destroy();
    throw err;
  }
  return client;
}
