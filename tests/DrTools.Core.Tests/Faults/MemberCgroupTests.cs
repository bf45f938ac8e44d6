using System.Diagnostics;
using DrTools.Core.Faults;

namespace DrTools.Core.Tests;

/// <summary>The cgroup label a network fault puts a member's processes in, on the machine's real cgroup v2 hierarchy.</summary>
[Collection("Faults")]
public sealed class MemberCgroupTests
{
    /// <summary>
    /// A label whose process forks all the time, as a postmaster starts backends, is emptied and removed by the undo: a
    /// child born in the label while it was being emptied kept it busy (a clean-clone run: "Device or resource busy", the
    /// partition left recorded).
    /// </summary>
    [Fact]
    public void A_label_whose_process_forks_while_it_is_emptied_is_removed_and_the_process_is_back()
    {
        using var forker = Process.Start(new ProcessStartInfo("sh", ["-c", "while :; do /bin/true; done"]))!;
        try
        {
            var before = File.ReadAllText($"/proc/{forker.Id}/cgroup");
            var label = MemberCgroup.For(65001);
            for (var round = 0; round < 20; round++)
            {
                var origins = label.Origins([forker.Id]);
                MemberCgroup.Join(label.Directory, [forker.Id]);
                Thread.Sleep(20);
                MemberCgroup.Leave(label.Directory, origins);
                Assert.False(Directory.Exists(label.Directory), $"round {round}: the label is still there");
            }
            Assert.Equal(before, File.ReadAllText($"/proc/{forker.Id}/cgroup"));
        }
        finally
        {
            forker.Kill();
            forker.WaitForExit();
        }
    }
}
