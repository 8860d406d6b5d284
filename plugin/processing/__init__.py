"""The Processing provider `epitome`: one module per algorithm, parameter declarations, output styling."""
