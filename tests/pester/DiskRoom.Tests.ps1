#Requires -Version 7.6
# A drill stopped by its servers' full disk is an error naming the folder, as drtools failover says it (DiskRoom), never
# a FAIL that blames a cluster which may be sound. Needs root (a small tmpfs), as the xunit full-disk tests do.

BeforeAll {
    $RepositoryRoot = (Resolve-Path "$PSScriptRoot/../..").Path
    $version = (Import-PowerShellDataFile "$RepositoryRoot/module/DrTools.psd1").ModuleVersion
    $Manifest = $env:DRTOOLS_MODULE_MANIFEST ?? "$RepositoryRoot/output/DrTools/$version/DrTools.psd1"
    Import-Module $Manifest -Force
    $Work = Join-Path ([IO.Path]::GetTempPath()) "drtools-pester-diskroom-$([guid]::NewGuid().ToString('n'))"
    $Disk = Join-Path $Work 'disk'
    New-Item -ItemType Directory $Disk | Out-Null
    & mount -t tmpfs -o size=300m,mode=1777 tmpfs $Disk
    if ($LASTEXITCODE) { throw "cannot mount a tmpfs on $Disk (the test needs root)" }
}

AfterAll {
    try { Remove-DrSandbox -All -Path "$Disk/sandboxes" -Confirm:$false -WarningAction SilentlyContinue }
    finally {
        & umount -l $Disk
        Remove-Item $Work -Recurse -Force
    }
}

Describe 'Invoke-DbFailover on a sandbox whose disk fills' {
    It 'is one error naming the sandbox folder and no space, the drill recorded, and nothing left once the sandbox goes' {
        $sandbox = New-DrSandbox -Standbys 1 -Synchronous -Path "$Disk/sandboxes" -Confirm:$false
        $history = Join-Path $Work 'history'
        # Filled once the drill has begun (its lock taken, probes started): a full disk before then is the sandbox's.
        $job = Start-ThreadJob {
            Import-Module $using:Manifest
            $using:sandbox | Invoke-DbFailover -Mode Switchover -HistoryPath $using:history -Confirm:$false
        }
        try {
            $clock = [Diagnostics.Stopwatch]::StartNew()
            while (-not ($job.Progress | Where-Object StatusDescription -EQ 'the baseline') -and $job.State -in 'NotStarted', 'Running') {
                if ($clock.Elapsed.TotalSeconds -gt 60) { throw 'the drill did not start its probes in 60 s' }
                Start-Sleep -Milliseconds 20
            }
            & dd if=/dev/zero of="$Disk/filler" bs=1M status=none 2>$null
            # Every phase of the drill has its own bound (-PhaseTimeout, 60 s): five minutes is far past them all.
            if (-not (Wait-Job $job -Timeout 300)) { throw 'the drill did not end in 5 minutes' }
            $result = Receive-Job $job -ErrorVariable failed -ErrorAction SilentlyContinue
        }
        finally { Remove-Job $job -Force }

        $result | Should -BeNullOrEmpty
        $failed | Should -HaveCount 1
        $pattern = "^the drill's sandbox in $([regex]::Escape($sandbox.Directory)) stopped with \d+\.\d MB free on its disk, " +
            'not for the cluster: no space left on the device \(it said: .+\)\.$'
        $failed[0].Exception.Message | Should -Match $pattern
        $failed[0].Exception.Message | Should -Not -Match "`n"
        $failed[0].FullyQualifiedErrorId | Should -Be 'DrTools.InvalidOperation,DrTools.PowerShell.InvokeDbFailoverCommand'
        # The drill ran, so it is in the history with what stopped it, as drtools failover records it.
        Get-ChildItem $history -Directory | Should -HaveCount 1

        $sandbox | Remove-DrSandbox -Confirm:$false
        Get-ChildItem -Force "$Disk/sandboxes" | Should -BeNullOrEmpty
        & find /proc -maxdepth 2 -name cwd -lname "$Disk*" 2>$null | Should -BeNullOrEmpty -Because 'no server is left running there'
    }
}
