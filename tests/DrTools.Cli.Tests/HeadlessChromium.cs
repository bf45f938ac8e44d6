using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace DrTools.Cli.Tests;

/// <summary>
/// Debian's Chromium, headless, driven over the DevTools protocol: opens a page and evaluates JavaScript in it, so a
/// test can ask what the browser actually laid out (sizes of rendered SVG shapes), not only what the file contains.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private int _nextId;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    private const string Browser = "/usr/bin/chromium";

    public static async Task<HeadlessChromium> OpenAsync(string file)
    {
        // The README's set-up names it; without it, say so rather than fail on a process-start error.
        Assert.True(File.Exists(Browser), $"this test renders the HTML report in headless Chromium, which is not installed at {Browser}: apt-get install chromium fonts-dejavu-core (bash .ci/run installs it).");
        var profile = Directory.CreateTempSubdirectory("drtools-chromium-").FullName;
        var info = new ProcessStartInfo(Browser) { RedirectStandardError = true, RedirectStandardOutput = true };
        // The flags keep Chromium off the network this machine does not have, and allow it to run as root in CI.
        foreach (var argument in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", $"--user-data-dir={profile}", "--remote-debugging-port=0", "--window-size=1280,2000", new Uri(file).AbsoluteUri })
        {
            info.ArgumentList.Add(argument);
        }
        var browser = new HeadlessChromium(Process.Start(info)!, profile);
        _ = browser._process.StandardError.ReadToEndAsync();
        _ = browser._process.StandardOutput.ReadToEndAsync();
        var portFile = Path.Combine(profile, "DevToolsActivePort");
        var deadline = Stopwatch.StartNew();
        while (!File.Exists(portFile) || File.ReadAllLines(portFile).Length < 2)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(30) || browser._process.HasExited) throw new TimeoutException("Chromium did not open its DevTools port within 30 s");
            await Task.Delay(50);
        }
        var port = File.ReadAllLines(portFile)[0];
        using var http = new HttpClient();
        string? page = null;
        while (page is null && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            using var targets = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list"));
            page = targets.RootElement.EnumerateArray().Where(t => t.GetProperty("type").GetString() == "page").Select(t => t.GetProperty("webSocketDebuggerUrl").GetString()).FirstOrDefault();
            if (page is null) await Task.Delay(50);
        }
        await browser._socket.ConnectAsync(new Uri(page ?? throw new TimeoutException("Chromium opened no page")), CancellationToken.None);
        // The page may still be about:blank (complete at once) before Chromium navigates to the file: wait for the file's.
        var loaded = $"complete {new Uri(file).AbsoluteUri}";
        while (await browser.EvaluateAsync("document.readyState + ' ' + location.href") is var state && state.GetString() != loaded)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException($"the page did not finish loading: {state}");
            await Task.Delay(50);
        }
        return browser;
    }

    /// <summary>The value of a JavaScript expression in the page (returned by value, so JSON-serializable).</summary>
    public async Task<JsonElement> EvaluateAsync(string expression) =>
        (await SendAsync("Runtime.evaluate", new { expression, returnByValue = true })).GetProperty("result") is var result
            && result.TryGetProperty("value", out var value) ? value.Clone() : default;

    /// <summary>A PNG of the whole page as Chromium laid it out.</summary>
    public async Task<byte[]> ScreenshotAsync() =>
        Convert.FromBase64String((await SendAsync("Page.captureScreenshot", new { format = "png", captureBeyondViewport = true }))
            .GetProperty("data").GetString()!);

    private async Task<JsonElement> SendAsync(string method, object parameters)
    {
        var id = ++_nextId;
        var request = JsonSerializer.Serialize(new { id, method, @params = parameters });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _socket.SendAsync(Encoding.UTF8.GetBytes(request), WebSocketMessageType.Text, true, timeout.Token);
        while (true)
        {
            var message = await ReceiveAsync(timeout.Token);
            using var document = JsonDocument.Parse(message);
            if (!document.RootElement.TryGetProperty("id", out var answered) || answered.GetInt32() != id) continue;
            var result = document.RootElement.GetProperty("result");
            if (result.TryGetProperty("exceptionDetails", out var error))
            {
                throw new InvalidOperationException($"{method} {parameters}: {error}");
            }
            return result.Clone();
        }
    }

    private async Task<string> ReceiveAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        WebSocketReceiveResult part;
        do
        {
            part = await _socket.ReceiveAsync(buffer, cancellationToken);
            message.Write(buffer, 0, part.Count);
        }
        while (!part.EndOfMessage);
        return Encoding.UTF8.GetString(message.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { }
    }
}
