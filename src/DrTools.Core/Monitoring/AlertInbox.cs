using System.Text.Json;

namespace DrTools.Core.Monitoring;

/// <summary>
/// DrTools' own Alertmanager receiver: each webhook notification appended as a line to a file in the monitoring
/// sandbox, stamped as it arrives, so any process (Wait-DrAlert, a drill) reads what was actually delivered.
/// </summary>
public sealed class AlertInbox(string path)
{
    private static readonly Lock Gate = new();

    public string Path => path;

    public void Append(string body, DateTimeOffset receivedAt)
    {
        using var payload = JsonDocument.Parse(body);
        var line = JsonSerializer.Serialize(new { receivedAt, notification = payload.RootElement });
        lock (Gate) AtomicFile.Append(path, line + "\n");
    }

    /// <summary>Every notification received so far, in the order they came; a line being written is read next time.</summary>
    public IReadOnlyList<AlertNotification> Read()
    {
        if (!File.Exists(path)) return [];
        var notifications = new List<AlertNotification>();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            try
            {
                using var entry = JsonDocument.Parse(line);
                var notification = entry.RootElement.GetProperty("notification");
                var alerts = notification.GetProperty("alerts").EnumerateArray().Select(alert =>
                {
                    var labels = alert.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
                    var ends = alert.TryGetProperty("endsAt", out var end) && end.GetString() is { } text && DateTimeOffset.TryParse(text,
                        out var parsed) && parsed.Year > 1 ? parsed : (DateTimeOffset?)null;
                    return new DeliveredAlert(labels.GetValueOrDefault("alertname", ""), alert.GetProperty("status").GetString() ?? "",
                        labels, alert.GetProperty("startsAt").GetDateTimeOffset(), ends);
                }).ToList();
                notifications.Add(new AlertNotification(entry.RootElement.GetProperty("receivedAt").GetDateTimeOffset(),
                    notification.GetProperty("status").GetString() ?? "",
                    notification.TryGetProperty("receiver", out var receiver) ? receiver.GetString() ?? "" : "", alerts));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                // A line cut short by a write in progress: the next read has it whole.
            }
        }
        return notifications;
    }
}
