#Requires -Version 7.6
# The module as loaded: its cmdlets, help and load context; bad input refused in one line; durations; what is not
# a sandbox never touched.
# Pester 5, on the packaged module; they need the servers the xunit tests need. Run: dotnet pwsh ./build.ps1 -Task Test

BeforeAll {
    . "$PSScriptRoot/Common.ps1" -Name module
}

AfterAll {
    Remove-TestRoot
}

Describe 'The DrTools module' {
    It 'exports exactly the cmdlets its manifest lists' {
        $listed = (Import-PowerShellDataFile $ModuleManifest).CmdletsToExport | Sort-Object
        (Get-Command -Module DrTools).Name | Sort-Object | Should -Be $listed
    }

    It 'describes every parameter of every cmdlet in Get-Help, with the values a parameter accepts' {
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters
        foreach ($command in Get-Command -Module DrTools) {
            foreach ($parameter in $command.Parameters.Values | Where-Object Name -NotIn $common) {
                $help = Get-Help $command.Name -Parameter $parameter.Name
                $text = $help.description.Text -join ' '
                $text | Should -Not -BeNullOrEmpty -Because "$($command.Name) -$($parameter.Name) needs help text"
                foreach ($set in $parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] }) {
                    $text | Should -BeLike "*Accepted values: $($set.ValidValues -join ', ').*"
                }
            }
        }
        (Get-Help Invoke-DbFailover -Parameter Fault).description.Text -join ' ' | Should -BeLike '*Accepted values: *DiskFull*'
    }

    It 'has about help' {
        Get-Help about_DrTools | Out-String | Should -Match 'Get-DbClusterStatus'
    }

    It 'loads Npgsql in its own AssemblyLoadContext, not the default one' {
        { Get-DbClusterStatus -ConnectionString 'Host=127.0.0.1;Port=1' -ConnectTimeout 1s } | Should -Not -Throw
        $npgsql = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'Npgsql' }
        $npgsql | Should -Not -BeNullOrEmpty
        $npgsql | ForEach-Object { [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name } | Should -Be 'DrTools'
    }
}

Describe 'Bad input' {
    It 'reports a malformed connection string in one line, naming the member, without the password' {
        $failure = { Get-DbClusterStatus -ConnectionString 'Host=127.0.0.1;Port=abc;Password=Sup3rSecret' -ErrorAction Stop } | Should -Throw -PassThru
        $failure.Exception.Message | Should -BeLike 'member #1: invalid connection string*'
        $failure.Exception.Message | Should -Not -Match 'Sup3rSecret'
        $failure.Exception.Message | Should -Not -Match "`n"
    }

    It 'refuses a duration it cannot read, naming it' {
        { Test-ReplicationLag -ConnectionString 'Host=127.0.0.1' -Duration '5x' -ErrorAction Stop } | Should -Throw -ExpectedMessage "*'5x' is not a duration*"
    }

    It 'reports an unreachable member in the verdict' {
        $status = Get-DbClusterStatus -ConnectionString 'Host=127.0.0.1;Port=1' -ConnectTimeout 2s
        $status.Healthy | Should -BeFalse
        $status.Verdict | Should -BeLike '*127.0.0.1:1: unreachable: connection refused*'
    }
}

Describe 'Durations the PowerShell way' {
    # 2s is an Int16 literal in PowerShell, 250ms a string: both, and TimeSpans, must bind.
    It 'binds <Name>' -ForEach @(
        @{ Name = '2s (an Int16 literal)'; Value = 2s; Seconds = 2 }
        @{ Name = 'a number of seconds'; Value = 1.5; Seconds = 1.5 }
        @{ Name = "the string '250ms'"; Value = '250ms'; Seconds = 0.25 }
        @{ Name = "the string '5m'"; Value = '5m'; Seconds = 300 }
        @{ Name = "the string '00:00:30'"; Value = '00:00:30'; Seconds = 30 }
        @{ Name = 'a [timespan]'; Value = [timespan]::FromSeconds(3); Seconds = 3 }
        @{ Name = 'New-TimeSpan'; Value = (New-TimeSpan -Seconds 4); Seconds = 4 }
    ) {
        $status = Get-DbClusterStatus -ConnectionString 'Host=127.0.0.1;Port=1' -ConnectTimeout $Value
        $status.Verdict | Should -BeLike '*connection refused*'
        $attribute = (Get-Command Get-DbClusterStatus).Parameters['ConnectTimeout'].Attributes | Where-Object { $_ -is [System.Management.Automation.ArgumentTransformationAttribute] }
        $attribute.Transform($ExecutionContext, $Value).TotalSeconds | Should -Be $Seconds
    }

    It 'refuses <Value> in one line naming the range' -ForEach @(
        @{ Value = '99999999999999h'; Message = '*99999999999999h is out of range; give more than 0 and at most 576h (24 days).' }
        @{ Value = 0; Message = '*0ms is out of range; give more than 0*' }
        @{ Value = '-00:00:05'; Message = '*-5s is out of range*' }
        @{ Value = 1e300; Message = '*out of range*' }
    ) {
        $failure = { Get-DbClusterStatus -ConnectionString 'Host=127.0.0.1;Port=1' -ConnectTimeout $Value -ErrorAction Stop } | Should -Throw -PassThru
        $failure.Exception.Message | Should -BeLike $Message
        $failure.Exception.Message | Should -Not -Match "`n"
    }
}

Describe 'Safety: what is not a sandbox is never touched' {
    BeforeAll {
        $ForeignRoot = Join-Path ([IO.Path]::GetTempPath()) "drtools-pester-home-$([guid]::NewGuid().ToString('n'))"
        New-Item -ItemType Directory "$ForeignRoot/.ssh", "$ForeignRoot/Documents", "$ForeignRoot/garbage" | Out-Null
        Set-Content "$ForeignRoot/.ssh/id_ed25519" 'secret key'
        Set-Content "$ForeignRoot/Documents/notes.txt" 'notes'
        Set-Content "$ForeignRoot/garbage/sandbox.json" '{ not json'
        # Runs' scratch folders are listed too: an empty runs folder of its own keeps the count to this test's folders.
        $SavedRunsRoot = $env:DRTOOLS_RUNS_ROOT
        $env:DRTOOLS_RUNS_ROOT = "$ForeignRoot-runs"
    }

    AfterAll {
        if ($SavedRunsRoot) { $env:DRTOOLS_RUNS_ROOT = $SavedRunsRoot } else { Remove-Item Env:DRTOOLS_RUNS_ROOT }
        Remove-Item $ForeignRoot, "$ForeignRoot-runs" -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'lists foreign folders as NotASandbox' {
        $listed = Get-DrSandbox -Path $ForeignRoot
        @($listed).Count | Should -Be 3
        $listed.State | Sort-Object -Unique | Should -Be 'NotASandbox'
        ($listed | Where-Object Id -EQ 'garbage').Note | Should -BeLike 'sandbox.json is unreadable*'
        $listed | Out-String -Width 80 | Should -Match 'no sandbox.json'
    }

    It 'Remove-DrSandbox -All removes the sandboxes and warns about, but keeps, everything else' {
        $sandbox = New-DrSandbox -Standbys 0 -Path $ForeignRoot -Confirm:$false
        Remove-DrSandbox -All -Path $ForeignRoot -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue
        Test-Path $sandbox.Directory | Should -BeFalse
        @($warnings).Count | Should -Be 3
        $warnings | ForEach-Object { "$_" } | Should -BeLike 'skipped *: * is not a DrTools sandbox (*): left untouched'
        Get-Content "$ForeignRoot/.ssh/id_ed25519" | Should -Be 'secret key'
        Get-Content "$ForeignRoot/Documents/notes.txt" | Should -Be 'notes'
    }

    It 'Remove-DrSandbox -Id of a foreign folder is refused and changes nothing' {
        { Remove-DrSandbox -Id Documents -Path $ForeignRoot -Confirm:$false -ErrorAction Stop } | Should -Throw -ExpectedMessage '*Documents is not a DrTools sandbox (no sandbox.json): left untouched'
        Test-Path "$ForeignRoot/Documents/notes.txt" | Should -BeTrue
    }
}

Describe 'Bad input found by trying to break it' {
    It 'refuses a port out of range as invalid input, in one line' {
        $failure = { Get-DbClusterStatus -ConnectionString 'Host=127.0.0.1;Port=70000' -ErrorAction Stop } | Should -Throw -PassThru
        $failure.Exception.Message | Should -Be "member #1: invalid connection string: Port '70000' is not a port number (1 to 65535)."
        $failure.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'refuses a target time without a time zone' {
        { Restore-PointInTime /tmp/no-repository -TargetTime '2026-11-24 08:00:00' -Confirm:$false -ErrorAction Stop } | Should -Throw -ExpectedMessage "*'2026-11-24 08:00:00' has no time zone*"
        { Restore-PointInTime /tmp/no-repository -TargetTime ([datetime]'2026-11-24 08:00:00') -Confirm:$false -ErrorAction Stop } | Should -Throw -ExpectedMessage '*has no time zone*'
    }

    It 'refuses a transaction id no transaction can have' {
        { Restore-PointInTime /tmp/no-repository -TargetXid -5 -Confirm:$false -ErrorAction Stop } | Should -Throw -ExpectedMessage '*-5*minimum*'
    }

    It 'refuses a runbook nested 30,000 levels deep with one error, not a crash' {
        $file = Join-Path ([IO.Path]::GetTempPath()) "drtools-deep-$([guid]::NewGuid().ToString('n')).yml"
        Set-Content $file ('[' * 30000) -NoNewline
        try {
            { Invoke-DrRunbook -Path $file -Confirm:$false -ErrorAction Stop } | Should -Throw -ExpectedMessage '*:1:65: nested more than 64 levels deep*'
        }
        finally { Remove-Item $file }
    }
}
