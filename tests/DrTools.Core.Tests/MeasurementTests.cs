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
    public void A_floor_is_met_at_or_above_its_target_and_says_so()
    {
        var floor = new Measurement("lowest ready replicas", 2, "replicas", 2, "m") { AtLeast = true };
        Assert.True(floor.Met);
        Assert.False((floor with { Measured = 1 }).Met);
        Assert.Equal("2 replicas (≥ 2 replicas: met)", floor.ToString());
    }

    [Fact]
    public void Met_compares_against_the_target_and_is_null_without_one()
    {
        Assert.True(new Measurement("lag", 10, "bytes", 10, "m").Met);
        Assert.False(new Measurement("lag", 11, "bytes", 10, "m").Met);
        Assert.Null(new Measurement("lag", 11, "bytes", null, "m").Met);
        Assert.Equal("11 bytes (≤ 10 bytes: NOT met)", new Measurement("lag", 11, "bytes", 10, "m").ToString());
    }

    [Theory]
    [InlineData(0.6129571, "s", "0.613 s")]
    [InlineData(42.5, "s", "42.5 s")]
    [InlineData(0, "bytes", "0 bytes")]
    [InlineData(1023, "bytes", "1023 bytes")]
    [InlineData(1048576, "bytes", "1 MB")]
    [InlineData(1234567, "bytes", "1.18 MB (1234567 bytes)")]
    [InlineData(3, "writes", "3 writes")]
    public void Figures_read_with_their_units(double value, string unit, string expected) =>
        Assert.Equal(expected, FigureText.Exact(value, unit));

    [Fact]
    public void A_figure_reads_with_its_target_in_the_same_unit_and_a_sampled_one_with_its_p95()
    {
        Assert.Equal("0.613 s (≤ 30 s: met)", new Measurement("rto", 0.6129571, "s", 30, "m").ToString());
        Assert.Equal("0 bytes (≤ 1 MB: met)", new Measurement("lag", 0, "bytes", 1048576, "m").ToString());
        var sampled = new Measurement("lag", 20480, "bytes", null, "m") { P95 = 10240, Samples = 20 };
        Assert.Equal("max of 20 samples, p95 10 kB", sampled.SamplesText);
        Assert.Equal("20 kB\nmax of 20 samples, p95 10 kB", sampled.FullText);
        Assert.Equal("", new Measurement("rto", 1, "s", null, "m").SamplesText);
    }

    [Fact]
    public void Percentile_is_nearest_rank()
    {
        var samples = Enumerable.Range(1, 100).Select(i => (double)i).Reverse().ToList();
        Assert.Equal(95, Measurement.Percentile(samples, 95));
        Assert.Equal(100, Measurement.Percentile(samples, 100));
        Assert.Equal(7, Measurement.Percentile([7], 95));
    }

    /// <summary>
    /// A lower bound under its target proves nothing: an outage the probes never saw end, reported as "11.333 s" beside a
    /// method calling it a lower bound, read as met against a longer objective (an independent test).
    /// </summary>
    [Fact]
    public void A_figure_that_is_only_a_lower_bound_is_never_met_and_says_more_than()
    {
        Assert.Equal("more than 0.5 s (≤ 1 s: NOT met)", new Measurement("rto", 0.5, "s", 1, "m") { MoreThan = true }.ToString());
        Assert.False(new Measurement("lag", 1, "s", 1, "m") { MoreThan = true }.Met);
        Assert.Null(new Measurement("lag", 1, "s", null, "m") { MoreThan = true }.Met);
    }
}
