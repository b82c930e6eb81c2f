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
        },
    };
}
