using System.Globalization;
using System.Net;
using System.Text;

namespace DrTools.Core.Metrics;

/// <summary>
/// Serves the metrics at /metrics on one address until cancelled (drtools metrics serve), collecting them anew for each
/// scrape; with a textfile, also rewrites it every interval for node_exporter's textfile collector.
/// </summary>
public static class MetricsServer
{
    /// <summary>How a failure to listen begins, the line a sandbox that started the server looks for to try another port.</summary>
    public const string CannotListen = "cannot listen on";

    /// <summary>What DrTools' service writes, with the URL, once it listens: a sandbox connects to it only after that.</summary>
    public const string Serving = "serving";

    /// <summary>Reads HOST:PORT as --listen takes it; the host is an IP address or localhost.</summary>
    public static (string Host, int Port) ParseListen(string text)
    {
        var at = text.LastIndexOf(':');
        var host = at > 0 ? text[..at].Trim('[', ']') : "";
        return at > 0 && (host == "localhost" || IPAddress.TryParse(host, out _)) && int.TryParse(text[(at + 1)..], NumberStyles.None,
            CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? (host, port)
            : throw new DrToolsException($"listen address '{text}': write it as HOST:PORT with an IP address, e.g. 127.0.0.1:9187.",
                DrErrorKind.InvalidArgument);
    }

    /// <param name="inbox">Also DrTools' own Alertmanager receiver: notifications POSTed to /alerts are kept there.</param>
    public static async Task ServeAsync(string listen, MetricSources sources, string? textfile, TimeSpan interval, Action<string> started,
        CancellationToken cancellationToken, Monitoring.AlertInbox? inbox = null)
    {
        var (host, port) = ParseListen(listen);
        using var listener = new HttpListener();
        var prefix = $"http://{(host.Contains(':') ? $"[{host}]" : host)}:{port}/";
        listener.Prefixes.Add(prefix);
        try
        {
            listener.Start();
        }
        catch (Exception e) when (e is HttpListenerException or System.Net.Sockets.SocketException or IOException)
        {
            // On Linux a port taken since it was chosen can surface as the socket's own error, not the listener's.
            throw new DrToolsException($"{CannotListen} {listen}: {e.Message}", DrErrorKind.InvalidOperation);
        }
        catch (ArgumentNullException e)
        {
            // .NET's listener on Linux fails so when a connection is already waiting as it starts, and keeps the port.
            throw new DrToolsException($"{CannotListen} {listen}: a connection came as the listener started ({e.Message})",
                DrErrorKind.InvalidOperation);
        }
        await using var stop = cancellationToken.Register(listener.Stop);
        var writer = textfile is null ? Task.CompletedTask : WriteTextfileAsync(textfile, sources, interval, cancellationToken);
        started($"{prefix}metrics");
        while (!cancellationToken.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                break;
            }
            _ = AnswerAsync(context, sources, inbox, cancellationToken);
        }
        try
        {
            await writer;
        }
        catch (OperationCanceledException)
        {
            // Stopped while waiting for the next rewrite.
        }
    }

    private static async Task AnswerAsync(HttpListenerContext context, MetricSources sources, Monitoring.AlertInbox? inbox,
        CancellationToken cancellationToken)
    {
        var response = context.Response;
        var received = DateTimeOffset.UtcNow;
        try
        {
            var (status, type, body) = context.Request.Url?.AbsolutePath switch
            {
                "/metrics" => (200, Exposition.ContentType, Exposition.Write(await DrMetrics.CollectAsync(sources, cancellationToken))),
                "/alerts" when inbox is not null && context.Request.HttpMethod == "POST" => Receive(inbox, context.Request, received),
                "/" => (200, "text/plain; charset=utf-8", "DrTools metrics: /metrics\n"),
                _ => (404, "text/plain; charset=utf-8", "not found; the metrics are at /metrics\n"),
            };
            var bytes = Encoding.UTF8.GetBytes(body);
            response.StatusCode = status;
            response.ContentType = type;
            response.ContentLength64 = bytes.Length;
            await response.OutputStream.WriteAsync(bytes, cancellationToken);
        }
        catch (Exception e) when (e is DrToolsException or OperationCanceledException or HttpListenerException or IOException
            or System.Text.Json.JsonException)
        {
            if (e is DrToolsException or System.Text.Json.JsonException) response.StatusCode = e is DrToolsException ? 500 : 400;
        }
        finally
        {
            response.Close();
        }
    }

    private static (int, string, string) Receive(Monitoring.AlertInbox inbox, HttpListenerRequest request, DateTimeOffset received)
    {
        using var reader = new StreamReader(request.InputStream, Encoding.UTF8);
        inbox.Append(reader.ReadToEnd(), received);
        return (200, "text/plain; charset=utf-8", "received\n");
    }

    private static async Task WriteTextfileAsync(string path, MetricSources sources, TimeSpan interval, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Exposition.WriteTextfile(path, Exposition.Write(await DrMetrics.CollectAsync(sources, cancellationToken)));
            await Task.Delay(interval, cancellationToken);
        }
    }
}
