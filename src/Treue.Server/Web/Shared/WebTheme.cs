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
        },
    };
}
