using System.Globalization;
using System.Management.Automation;
using DrTools.Core;

namespace DrTools.PowerShell;

/// <summary>
/// Lets duration parameters take what people type: a TimeSpan (New-TimeSpan), a number of seconds — which is also what
/// PowerShell makes of 2s, an Int16 literal — or a string: 250ms, 30s, 5m, 1h, 00:00:30. Out-of-range values are refused.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class DurationTransformationAttribute : ArgumentTransformationAttribute
{
    /// <summary>Zero is refused (timeouts, intervals).</summary>
    public bool Positive { get; set; }
    /// <summary>Up to <see cref="DurationText.MaxAge"/> instead of <see cref="DurationText.MaxWait"/> (ages, objectives).</summary>
    public bool Long { get; set; }

    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        var max = Long ? DurationText.MaxAge : DurationText.MaxWait;
        try
        {
            return value switch
            {
                TimeSpan span => DurationText.Check(span, "duration", max, Positive),
                byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal =>
                    DurationText.FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture), "duration", max, Positive),
                string text => DurationText.Parse(text, "duration", max, Positive),
                _
                    => throw new DrToolsException($"duration: a {value?.GetType().Name ?? "null"} is not a duration; write "
                    + $"{DurationText.Forms}, or pass a [timespan].", DrErrorKind.InvalidArgument),
            };
        }
        catch (DrToolsException e)
        {
            throw new ArgumentTransformationMetadataException(e.Message, e);
        }
    }
}
