# Should -MeetObjective: DrTools results read naturally in Pester tests. Registered when DrTools is imported into a
# session where Pester is loaded (inside Invoke-Pester it always is); Pester keeps one copy however often it runs.

function Get-DrObjectiveFigure {
    # The figures a result is held to: a Measurement, an objective of a run, a run (every objective), or any result
    # that lists its Figures (failover, lag, verification). Each: name, measured and target as text, how measured, met.
    param($Value)
    $object = if ($Value -is [psobject]) { $Value.psobject.BaseObject } else { $Value }
    $properties = $object.psobject.Properties.Name
    if ($properties -contains 'Objectives' -and $properties -contains 'Steps') {
        foreach ($objective in $object.Objectives) { Get-DrObjectiveFigure $objective }
    }
    elseif ($properties -contains 'NotMeasuredBecause') {
        $m = $object.Measurement
        [pscustomobject]@{
            Name = "objective $($object.Name.ToUpperInvariant())"; Measured = $object.MeasuredText; Target = $object.TargetText
            Method = $m.Method; Met = [bool]$object.Met; NotMeasured = $object.NotMeasuredBecause
        }
    }
    elseif ($properties -contains 'Measured' -and $properties -contains 'Method') {
        # The texts Core writes every figure with: its unit, seconds to the millisecond, sizes in kB/MB.
        $target = if ($null -ne $object.Target) { $object.TargetText }
        [pscustomobject]@{
            Name = $object.Name; Measured = $object.ExactText; Target = $target; Method = $object.Method; Met = $object.Met
            NotMeasured = $null
        }
    }
    elseif ($properties -contains 'Figures') {
        foreach ($figure in $object.Figures | Where-Object { $null -ne $_.Target }) { Get-DrObjectiveFigure $figure }
    }
    else {
        throw "Should -MeetObjective takes a DrTools measurement, objective, run or result with figures; got a $($object.GetType().FullName)."
    }
}

function Test-DrMeetObjective {
    param($ActualValue, [switch] $Negate, [string] $Because, $CallerSessionState)
    $figures = @(Get-DrObjectiveFigure $ActualValue)
    $reason = if ($Because) { " because $Because" } else { '' }
    if ($figures.Count -eq 0) {
        return [pscustomobject]@{ Succeeded = $false; FailureMessage = "Expected a DrTools result with an objective$reason, but it was held to no target." }
    }
    $describe = {
        param($f)
        if ($null -ne $f.NotMeasured) { return "$($f.Name) was not measured: $($f.NotMeasured)" }
        if ($null -eq $f.Target) { return "$($f.Name) has no target" }
        "$($f.Name) measured $($f.Measured) against a target of $($f.Target) ($($f.Method))"
    }
    $missed = @($figures | Where-Object { $_.Met -ne $true })
    if ($Negate) {
        $succeeded = $missed.Count -gt 0
        $message = "Expected the result not to meet its objectives$reason, but every one was met: $(($figures | ForEach-Object { & $describe $_ }) -join '; ')."
    }
    else {
        $succeeded = $missed.Count -eq 0
        $message = "Expected the result to meet its objectives$reason, but $(($missed | ForEach-Object { & $describe $_ }) -join '; ')."
    }
    [pscustomobject]@{ Succeeded = $succeeded; FailureMessage = if ($succeeded) { $null } else { $message } }
}

if (Get-Command Add-ShouldOperator -Module Pester -ErrorAction SilentlyContinue) {
    Add-ShouldOperator -Name MeetObjective -Test ${function:Test-DrMeetObjective} -SupportsArrayInput
}
