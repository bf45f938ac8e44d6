namespace DrTools.Core.Faults.Proxy;

/// <summary>Which traffic through the proxy a toxic acts on: to the member (requests, WAL a standby acknowledges), from it (results, WAL it
/// sends), or both.</summary>
public enum ToxicDirection { Both, ToMember, FromMember }
