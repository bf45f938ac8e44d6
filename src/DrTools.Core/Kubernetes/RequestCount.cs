namespace DrTools.Core.Kubernetes;

/// <summary>
/// Counts the requests a drill's client sends the API server outside its watches (one long request each): reads (GET) and
/// writes (the drill's own actions: deletions, evictions, the cordon's patches, access reviews). On the client of a
/// drill's watch, it tells when the watch opened and when each of its lines arrived.
/// </summary>
internal sealed class RequestCount : DelegatingHandler
{
    private int _reads;
    private int _writes;
    private readonly TaskCompletionSource _watchOpened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Reads => _reads;

    /// <summary>When each line of the client's watch arrived: one watch a client, so that its lines are its events.</summary>
    public LineArrivals WatchLines { get; } = new();

    public int Writes => _writes;

    /// <summary>
    /// Completes when the API server answered a watch request: from then on it sends each change as it happens. Before,
    /// the changes since the version asked for arrive together, late: a drill acts only once its watch is open.
    /// </summary>
    public Task WatchOpened => _watchOpened.Task;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var watch = request.RequestUri?.Query.Contains("watch=true", StringComparison.Ordinal) == true;
        if (!watch) Interlocked.Increment(ref request.Method == HttpMethod.Get ? ref _reads : ref _writes);
        var response = await base.SendAsync(request, cancellationToken);
        if (watch && response.IsSuccessStatusCode)
        {
            response.Content = WatchLines.Timing(response.Content);
            _watchOpened.TrySetResult();
        }
        return response;
    }
}
