namespace DrTools.Core.Kubernetes;

/// <summary>Counts the requests a drill's client sends the API server, its watches left out (one long request each).</summary>
internal sealed class RequestCount : DelegatingHandler
{
    private int _count;

    public int Count => _count;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri?.Query.Contains("watch=true", StringComparison.Ordinal) != true) Interlocked.Increment(ref _count);
        return base.SendAsync(request, cancellationToken);
    }
}
