namespace DrTools.Core.Tests;

public sealed class MeasurementTests
{
    [Theory]
    [InlineData("250ms", 0.25)]
    [InlineData("30s", 30)]
    [InlineData("1.5s", 1.5)]
    [InlineData("2m", 120)]
    [InlineData("1h", 3600)]
    [InlineData("7", 7)]
    [InlineData("00:01:00", 60)]
    public void Durations_parse(string text, double seconds) => Assert.Equal(seconds, DurationText.Parse(text, "--duration").TotalSeconds, 6);

    [Theory]
    [InlineData("5x")]
    [InlineData("-3s")]
    [InlineData("")]
    public void Bad_durations_name_the_input(string text)
    {
        var error = Assert.Throws<DrToolsException>(() => DurationText.Parse(text, "--duration"));
        Assert.Equal($"--duration: '{text}' is not a duration; write 250ms, 30s, 5m, 1h, 00:00:30, or a number of seconds.", error.Message);
    }

    [Fact]
    public void Met_compares_against_the_target_and_is_null_without_one()
    {
        Assert.True(new Measurement("lag", 10, "bytes", 10, "m").Met);
        Assert.False(new Measurement("lag", 11, "bytes", 10, "m").Met);
        Assert.Null(new Measurement("lag", 11, "bytes", null, "m").Met);
        Assert.Equal("11 bytes (≤ 10: NOT met)", new Measurement("lag", 11, "bytes", 10, "m").ToString());
    }

    [Fact]
    public void Percentile_is_nearest_rank()
    {
        var samples = Enumerable.Range(1, 100).Select(i => (double)i).Reverse().ToList();
        Assert.Equal(95, Measurement.Percentile(samples, 95));
        Assert.Equal(100, Measurement.Percentile(samples, 100));
        Assert.Equal(7, Measurement.Percentile([7], 95));
    }
}
