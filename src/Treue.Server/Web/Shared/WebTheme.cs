using MudBlazor;

namespace Treue.Server.Web.Shared;

/// <summary>Colours with at least 4.5:1 contrast against their background.</summary>
public static class WebTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1f5f8b",
            Secondary = "#8a3b12",
            AppbarBackground = "#1f5f8b",
            TextSecondary = "rgba(0,0,0,0.70)",
            // MudBlazor's red (#f44336) has 3.7:1 on white: destructive buttons (Retire, Revoke, Cancel and refund) take a darker one.
            Error = "#b3261e",
            ErrorDarken = "#8c1d18",
            // Alerts draw their text in these colours on a light tint of the same: MudBlazor's defaults fall below 4.5:1 there.
            Info = "#0b5394",
            InfoDarken = "#083d6e",
            Success = "#1e6b24",
            SuccessDarken = "#14501a",
            Warning = "#8f4a00",
            WarningDarken = "#6b3700",
        },
    };
}
