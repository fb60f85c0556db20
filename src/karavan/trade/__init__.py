"""Trade data, revealed comparative advantage and economic complexity."""
