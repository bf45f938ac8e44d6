namespace DrTools.Core.Postgres;

public enum ShutdownMode
{
    /// <summary>Disconnects clients, writes a shutdown checkpoint, and sends all WAL to connected standbys.</summary>
    Fast,
    /// <summary>Stops without a checkpoint, like a crash but with shared memory cleaned up.</summary>
    Immediate,
}
