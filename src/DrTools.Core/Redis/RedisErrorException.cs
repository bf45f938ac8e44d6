namespace DrTools.Core.Redis;

/// <summary>An error reply of a Redis server (-ERR …, -READONLY …, -NOAUTH …).</summary>
public sealed class RedisErrorException(string message) : Exception(message);
