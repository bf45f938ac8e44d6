namespace DrTools.Core.Kubernetes;

/// <summary>
/// Counts the requests a drill's client sends the API server outside its watches (one long request each): reads (GET) and
/// writes (the drill's own actions: deletions, evictions, the cordon's patches, access reviews).
/// </summary>
internal sealed class RequestCount : DelegatingHandler
{
    private int _reads;
    private int _writes;

    public int Reads => _reads;
    public int Writes => _writes;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri?.Query.Contains("watch=true", StringComparison.Ordinal) != true)
        {
            Interlocked.Increment(ref request.Method == HttpMethod.Get ? ref _reads : ref _writes);
        }
        return base.SendAsync(request, cancellationToken);
    }
}
