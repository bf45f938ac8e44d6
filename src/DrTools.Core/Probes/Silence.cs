namespace DrTools.Core.Probes;

/// <summary>
/// The longest stretch inside an outage window in which no client had an attempt acknowledged, when shorter than the
/// window: a stall after the failures of one client that never had a write acknowledged between them is in the window
/// (that client's gap), and a reader learns from it how much of the window every client waited.
/// </summary>
public sealed record Silence(TimeSpan From, TimeSpan To, int FailedAttempts);
