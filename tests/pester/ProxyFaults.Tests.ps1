#Requires -Version 7.6
# The fault proxy's faults and DiskFull from PowerShell, through the packaged module, on a sandbox made for them.

BeforeAll {
    $RepositoryRoot = (Resolve-Path "$PSScriptRoot/../..").Path
    $version = (Import-PowerShellDataFile "$RepositoryRoot/module/DrTools.psd1").ModuleVersion
    $ModuleManifest = $env:DRTOOLS_MODULE_MANIFEST ?? "$RepositoryRoot/output/DrTools/$version/DrTools.psd1"
    Import-Module $ModuleManifest -Force
    $Root = Join-Path ([IO.Path]::GetTempPath()) "drtools-pester-proxy-$([guid]::NewGuid().ToString('n'))"
    $Sandbox = New-DrSandbox -Standbys 1 -FaultProxy -WalDiskSize 128MB -Path $Root -Confirm:$false

    function Measure-Query([string] $Member) {
        (Measure-Command { $Sandbox | Invoke-DbQuery -Member $Member -Query 'select 1' -Confirm:$false }).TotalMilliseconds
    }
}

AfterAll {
    Remove-DrSandbox -All -Path $Root -Confirm:$false -WarningAction SilentlyContinue
    Remove-Item $Root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'A sandbox behind the fault proxy, with WAL disks of its own' {
    It 'reaches every member through its proxy listener' {
        foreach ($member in $Sandbox.Members) {
            $member.ClientPort | Should -Be $member.ProxyPort
            $member.ClientPort | Should -Not -Be $member.Port
        }
        "$Sandbox" | Should -BeLike '*through a fault proxy*'
        ($Sandbox | Get-DbClusterStatus).Healthy | Should -BeTrue
    }

    It 'slows every round trip while Latency holds, and not after Stop-DrFault' {
        $fault = $Sandbox | Start-DrFault -Kind Latency -Member node1 -Parameter @{ delay = '100ms' } -Confirm:$false
        $fault.Description | Should -BeLike 'Latency of node1 (127.0.0.1:*): 100 ms added each way (fault proxy)'
        # Connecting and querying is several round trips, each 200 ms longer.
        Measure-Query node1 | Should -BeGreaterThan 400
        $end = $fault | Stop-DrFault -Confirm:$false
        $end.Undone | Should -BeTrue
        $end.Undo | Should -BeLike 'removed from the fault proxy (port *)'
        Measure-Query node1 | Should -BeLessThan 400
        ($Sandbox | Test-DrFault).Clear | Should -BeTrue
    }

    It 'holds DiskFull for -Duration and frees the WAL disk again' {
        $end = $Sandbox | Start-DrFault -Kind DiskFull -Member node1 -Duration 1s -Confirm:$false
        $end.Undone | Should -BeTrue -Because $end.Undo
        $end.Undo | Should -Match '^\d+(kB|MB| bytes) freed; '
        [IO.DriveInfo]::new((Join-Path $Sandbox.Directory 'volumes/node1')).AvailableFreeSpace | Should -BeGreaterThan 1MB
    }

    It 'refuses a proxy fault on a sandbox without a proxy, in one line, changing nothing' {
        $plain = New-DrSandbox -Standbys 0 -Path $Root -Confirm:$false
        try {
            { $plain | Start-DrFault -Kind Blackhole -Member node0 -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ExpectedMessage 'Blackhole of node0 (127.0.0.1:*): acts through DrTools'' fault proxy, and this member is not behind one*'
            Get-DrFault | Should -BeNullOrEmpty
        }
        finally {
            $plain | Remove-DrSandbox -Confirm:$false
        }
    }

    It 'is the fault of a failover drill: the primary blackholed, failed over, fenced, the blackhole lifted' {
        $result = $Sandbox | Invoke-DbFailover -Mode Failover -Fault Blackhole -Rejoin -RtoSeconds 30 -Confirm:$false
        $result.NewPrimary | Should -BeLike 'node1 *'
        ($result.Timeline | Where-Object Name -EQ 'fault completed').Detail | Should -BeLike 'Blackhole of node0 (127.0.0.1:*)*'
        ($Sandbox | Get-DbClusterStatus).Healthy | Should -BeTrue
        ($Sandbox | Test-DrFault).Clear | Should -BeTrue
    }
}
